// An engine host whose parent dies (tome serve killed by a signal it cannot
// catch, the OOM killer) ends within a step, mid-job, quietly: it used to run
// on until its next message to the parent, and die of that (an unhandled
// ERR_IPC_CHANNEL_CLOSED with its stack on stderr); a job silent for long (an
// index build) ran on that long with nobody to answer to.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../main/engine";
import { hasData, modelPath } from "../helpers/data";
import { until } from "./helpers/core";

/** Whether pid runs: an exited process not yet reaped (a zombie, state Z) has ended. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true; // no /proc: kill(0) is the answer
  }
};

describe.skipIf(!hasData)("engine host without its parent", () => {
  it("ends mid-job when the process that started it is killed", async () => {
    const worker = path.join(packageRoot(), "build", "main", "host", "worker.js");
    // a parent that starts the host, loads a model and runs an evaluation (a minute of rows), then waits
    const options = {
      tasks: ["niah_single"], lengths: [2048], depths: [0, 25, 50, 75, 100], modes: ["full", "retrieval", "streaming", "flat", "ivf"],
      haystack: "noise", samples: 4, seed: 1, threads: 1, beyondTrained: false, monitorEvery: 16, monitorHeads: 4,
    };
    const script = `
      const { fork } = require("node:child_process");
      const w = fork(${JSON.stringify(worker)}, [], { serialization: "advanced", stdio: ["ignore", "ignore", "inherit", "ipc"] });
      w.on("message", (m) => {
        if (m.ready) w.send({ id: 1, op: "load", args: { path: ${JSON.stringify(modelPath("stories260K.gguf"))}, ctx: 2048, threads: 1 } });
        else if (m.id === 1) w.send({ id: 2, op: "eval", args: { jobId: "e", options: ${JSON.stringify(options)} } });
        else if (m.event === "eval" && m.jobId === "e") console.log("pid " + w.pid);
        else if (m.id === 2) console.log("done");
      });
      setInterval(() => {}, 1000);`;
    // the host's stderr is the parent's: this pipe closes when both have ended
    const parent = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    parent.stdout.on("data", (b: Buffer) => (out += b.toString()));
    parent.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const stderrClosed = new Promise((r) => parent.stderr.on("close", r));
    const pid = Number((await until(() => /pid (\d+)/.exec(out), 30_000))[1]);
    expect(alive(pid)).toBe(true);
    parent.kill("SIGKILL");
    // the evaluation has ~95 s of rows to go (it takes ~100 s whole); the host goes within a step or two
    try {
      await until(() => !alive(pid), 10_000);
    } finally {
      if (alive(pid)) process.kill(pid, "SIGKILL"); // not left running when the check fails
    }
    await stderrClosed;
    expect(err).toBe("");
  }, 60_000);
});
