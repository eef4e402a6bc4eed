// The engine host in Electron: a utilityProcess (a Node child with Chromium's
// process model), so native work never blocks the window and a native crash
// ends only that process; EngineClient reports it and the next load restarts it.
import { utilityProcess } from "electron";
import type { SpawnEngine } from "../host/engine-client";
import { workerPath } from "../host/engine-client";
import type { EngineRequest, FromEngine } from "../host/protocol";

export const utilityEngine: SpawnEngine = () => {
  const child = utilityProcess.fork(workerPath(), [], { serviceName: "tome engine", stdio: "inherit" });
  return {
    send: (m: EngineRequest) => child.postMessage(m),
    onMessage: (cb: (m: FromEngine) => void) => child.on("message", (m) => cb(m as FromEngine)),
    onExit: (cb: (d: string) => void) => child.on("exit", (code) => cb(`exited with code ${code}`)),
    kill: () => void child.kill(),
  };
};
