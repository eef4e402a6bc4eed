// The app core's handle on the engine host process when that process ends at an
// awkward moment: before it said it was ready, or with its message channel closed
// and its exit not yet reported. Small stand-in processes (scripts written here)
// play the engine host; the real one is tested in engine-host-*.test.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { fork } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { EngineClient, engineProcessOf, forkEngine } from "../../main/host/engine-client";
import { tempDir, until } from "./helpers/core";

const dir = tempDir("tome-engine-client-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  return file;
}

describe("the engine client", () => {
  it("fails the calls waiting for a process that ended before it was ready, and starts a fresh one for the next", async () => {
    // the first start ends at once (a broken install, a process killed as it starts); the second answers
    const flag = path.join(dir, "started-once");
    const file = script(
      "dies-first.js",
      `const fs = require("node:fs");
       if (!fs.existsSync(${JSON.stringify(flag)})) { fs.writeFileSync(${JSON.stringify(flag)}, ""); process.exit(3); }
       process.on("message", (m) => process.send({ id: m.id, ok: true, result: { rssBytes: 1 } }));
       process.send({ ready: true });`,
    );
    const engine = new EngineClient(forkEngine(file));
    const crashes: string[] = [];
    engine.onCrash((d) => crashes.push(d));
    // it waited for a ready that never came: forever (a model load stayed 'loading')
    await expect(engine.call("stats", {})).rejects.toMatchObject({ code: "ENGINE_CRASHED", message: expect.stringContaining("exited with code 3") });
    expect(crashes).toEqual(["exited with code 3"]);
    expect(engine.running()).toBe(false);
    await expect(engine.call("stats", {})).resolves.toMatchObject({ rssBytes: 1 });
    engine.close();
  });

  it("a call made after the process's channel closed, before its exit is reported, fails ENGINE_CRASHED (the app goes on)", async () => {
    // the stand-in closes its channel on its first request and lives on until killed: the
    // moment between a dying engine's 'disconnect' and its 'exit', held open
    const file = script(
      "disconnects.js",
      `process.on("message", () => process.disconnect());
       process.send({ ready: true });
       setInterval(() => {}, 1000);`,
    );
    const child = fork(file, [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const engine = new EngineClient(() => engineProcessOf(child));
    const first = engine.call("stats", {});
    first.catch(() => {}); // settled below, once the process is gone
    await until(() => !child.connected);
    // child.send on the closed channel emitted an 'error' event nobody heard: an uncaught
    // exception in the app core's process
    await expect(engine.call("stats", {})).rejects.toMatchObject({ code: "ENGINE_CRASHED" });
    child.kill();
    await expect(first).rejects.toMatchObject({ code: "ENGINE_CRASHED", message: expect.stringContaining("killed by SIGTERM") });
    expect(engine.running()).toBe(false);
  });
});
