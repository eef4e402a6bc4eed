// UI state: notices (errors shown to the person), connection state, open dialogs,
// and where the reader should jump.
import type { Slice } from "./types";

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
}

export interface UiSlice {
  notices: Notice[];
  connection: "connecting" | "open" | "closed";
  settingsOpen: boolean;
  /** Character offset the reader should show (set by clicking a highlight). */
  jumpTo: { documentId: number; offset: number; seq: number } | null;
  notify(kind: Notice["kind"], text: string): void;
  dismiss(id: number): void;
  setConnection(c: UiSlice["connection"]): void;
  setSettingsOpen(open: boolean): void;
  jump(documentId: number, offset: number): void;
}

let noticeId = 1;

export const uiSlice: Slice<UiSlice> = (set) => ({
  notices: [],
  connection: "connecting",
  settingsOpen: false,
  jumpTo: null,
  notify: (kind, text) => set((s) => ({ notices: [...s.notices.slice(-4), { id: noticeId++, kind, text }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  setConnection: (connection) => set({ connection }),
  setSettingsOpen: (settingsOpen) => set({ settingsOpen }),
  jump: (documentId, offset) => set((s) => ({ jumpTo: { documentId, offset, seq: (s.jumpTo?.seq ?? 0) + 1 } })),
});
