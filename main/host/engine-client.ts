// The app core's handle on the engine host process (./worker.ts): typed
// request/response over the process's message channel, events fanned out, and a
// crash (the process exiting) turned into ENGINE_CRASHED errors for everything
// pending plus one onExit notice. The next call starts a fresh process.
//   fork (tome serve, tests):  child_process.fork, serialization "advanced"
//   Electron:                  utilityProcess.fork (main/desktop/engine-process.ts)
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { AppError } from "../ipc/errors";
import type { ErrorCode } from "../ipc/contract";
import type { EngineEvent, EngineOp, EngineOps, EngineRequest, FromEngine } from "./protocol";

/** A started engine process, whatever started it. */
export interface EngineProcess {
  send(m: EngineRequest): void;
  onMessage(cb: (m: FromEngine) => void): void;
  onExit(cb: (description: string) => void): void;
  kill(): void;
}

export type SpawnEngine = () => EngineProcess;

/** What the app core needs from an engine: the real client below, or a fake in tests. */
export interface Engine {
  call<K extends EngineOp>(op: K, args: EngineOps[K]["req"]): Promise<EngineOps[K]["res"]>;
  onEvent(cb: (e: EngineEvent) => void): void;
  /** Called when the engine process ended unexpectedly. */
  onCrash(cb: (description: string) => void): void;
  /** Whether a process is running now (stats are only asked of a live one). */
  running(): boolean;
  close(): void;
}

export function workerPath(): string {
  // build/main/host/worker.js beside this file once compiled.
  return path.join(__dirname, "worker.js");
}

export function forkEngine(script = workerPath()): SpawnEngine {
  return () =>
    engineProcessOf(
      fork(script, [], {
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        execArgv: [],
      }),
    );
}

/** A forked engine host (IPC channel with serialization "advanced") as an EngineProcess. */
export function engineProcessOf(child: ChildProcess): EngineProcess {
  // A process that dies closes its channel ('disconnect') before Node reports its exit; a
  // message sent in between (the memory ticker's stats, a click) made child.send emit an
  // 'error' event, and unheard that ended the app core's process (tome serve) with it.
  // Sending on a closed channel throws instead (the call fails ENGINE_CRASHED); the exit
  // that follows reports the crash. A process that could not be started at all has no pid
  // and may never exit: its 'error' is its exit.
  const exits: ((description: string) => void)[] = [];
  child.on("error", (e) => {
    if (child.pid === undefined) for (const cb of exits) cb(`could not start: ${e.message}`);
  });
  return {
    send: (m) => {
      if (!child.connected) throw new Error("its message channel is closed");
      child.send(m);
    },
    onMessage: (cb) => child.on("message", (m) => cb(m as FromEngine)),
    onExit: (cb) => {
      exits.push(cb);
      child.on("exit", (code, signal) => cb(signal ? `killed by ${signal}` : `exited with code ${code}`));
    },
    kill: () => child.kill(),
  };
}

const KNOWN_CODES = new Set<ErrorCode>(["NO_MODEL", "BUSY", "CANCELLED", "CTX_FULL", "BAD_REQUEST", "NOT_FOUND"]);

export class EngineClient implements Engine {
  private proc: EngineProcess | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private eventListeners: ((e: EngineEvent) => void)[] = [];
  private crashListeners: ((d: string) => void)[] = [];
  private closing = false;

  constructor(private spawn: SpawnEngine) {}

  onEvent(cb: (e: EngineEvent) => void) {
    this.eventListeners.push(cb);
  }
  onCrash(cb: (d: string) => void) {
    this.crashListeners.push(cb);
  }
  running() {
    return this.proc !== null;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const proc = this.spawn();
    this.proc = proc;
    let notStarted: (e: unknown) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      notStarted = reject;
      proc.onMessage((m) => {
        if ("ready" in m) return resolve();
        if ("event" in m) {
          for (const l of this.eventListeners) l(m);
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else {
          const code = (KNOWN_CODES.has(m.error.code as ErrorCode) ? m.error.code : "MODEL_ERROR") as ErrorCode;
          p.reject(new AppError(code, m.error.message));
        }
      });
    });
    proc.onExit((description) => {
      if (this.proc !== proc) return;
      this.proc = null;
      this.ready = null;
      const err = new AppError("ENGINE_CRASHED", `The engine stopped (${description}). Load the model again to continue.`);
      // a process that ended before it said it was ready: the calls waiting for it to start
      // (not pending yet) waited forever, a model load among them (no-op once it was ready)
      notStarted(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (!this.closing) for (const l of this.crashListeners) l(description);
    });
    return this.ready;
  }

  async call<K extends EngineOp>(op: K, args: EngineOps[K]["req"]): Promise<EngineOps[K]["res"]> {
    await this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.proc!.send({ id, op, args } as EngineRequest);
      } catch (e) {
        this.pending.delete(id);
        reject(new AppError("ENGINE_CRASHED", `The engine is not reachable: ${(e as Error).message}`));
      }
    });
  }

  close() {
    this.closing = true;
    this.proc?.kill();
    this.proc = null;
    this.ready = null;
  }
}
