// A started utilityProcess as the EngineProcess the engine client drives. Pure
// (no Electron import: anything shaped like a UtilityProcess) so it is tested in Node.
import type { EventEmitter } from "node:events";
import type { EngineProcess } from "../host/engine-client";
import type { EngineRequest, FromEngine } from "../host/protocol";

/** What is used of Electron's UtilityProcess (an EventEmitter). */
export type UtilityLike = EventEmitter & {
  postMessage(message: unknown): void;
  kill(): boolean;
};

export function adaptUtility(child: UtilityLike): EngineProcess {
  // 'error' (a fatal V8 error in the engine, e.g. out of memory) comes before 'exit'.
  // UtilityProcess is an EventEmitter: an 'error' without a listener is thrown in the
  // main process, and Electron shows it as "A JavaScript error occurred in the main
  // process". It is kept for the exit's description instead.
  let fatal: string | null = null;
  child.on("error", (type: unknown, location: unknown) => {
    fatal = `V8 ${String(type)}${location ? ` at ${String(location)}` : ""}`;
  });
  return {
    send: (m: EngineRequest) => child.postMessage(m),
    onMessage: (cb: (m: FromEngine) => void) => void child.on("message", (m: unknown) => cb(m as FromEngine)),
    onExit: (cb: (d: string) => void) =>
      void child.on("exit", (code: unknown) => cb(fatal ? `${fatal}, exit code ${code}` : `exited with code ${code}`)),
    kill: () => void child.kill(),
  };
}
