// The engine host in Electron: a utilityProcess (a Node child with Chromium's
// process model), so native work never blocks the window and a native crash
// ends only that process; EngineClient reports it and the next load restarts it.
import { utilityProcess } from "electron";
import type { SpawnEngine } from "../host/engine-client";
import { workerPath } from "../host/engine-client";
import { adaptUtility } from "./engine-adapter";

export const utilityEngine: SpawnEngine = () =>
  adaptUtility(utilityProcess.fork(workerPath(), [], { serviceName: "tome engine", stdio: "inherit" }));
