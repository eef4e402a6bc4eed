// The store's shape: one zustand store built from typed slices (zustand's slice
// pattern). Each slice owns its fields and actions; cross-slice calls go through
// get().
import type { StateCreator } from "zustand";
import type { LibrarySlice } from "./library-slice";
import type { ChatSlice } from "./chat-slice";
import type { EngineSlice } from "./engine-slice";
import type { StatsSlice } from "./stats-slice";
import type { UiSlice } from "./ui-slice";
import type { EvalSlice } from "./eval-slice";

export type Store = LibrarySlice & ChatSlice & EngineSlice & StatsSlice & UiSlice & EvalSlice;
export type Slice<T> = StateCreator<Store, [], [], T>;
