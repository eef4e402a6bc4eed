// tome serve: the token on every request and socket, Host and Origin checks,
// static files confined to the renderer folder, the contract over WebSocket
// (malformed messages answered, oversized ones refused), and the CLI's first line.
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startServer, type RunningServer } from "../../main/server";
import { LIMITS } from "../../main/ipc/validate";
import { dataDirToken } from "../../main/server/auth";
import { makeCore, tempDir, type TestCore } from "./helpers/core";

let t: TestCore;
let server: RunningServer;
afterEach(async () => {
  await server?.close();
  t?.close();
});

async function start() {
  t = makeCore();
  const root = tempDir("tome-renderer-");
  fs.writeFileSync(path.join(root, "index.html"), "<!doctype html><title>tome</title>");
  fs.mkdirSync(path.join(root, "assets"));
  fs.writeFileSync(path.join(root, "assets", "app.js"), "console.log(1)");
  fs.writeFileSync(path.join(t.dir, "secret.txt"), "secret");
  server = await startServer({ core: t.core, rendererDir: root, port: 0 });
  return root;
}

function get(urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: server.port, path: urlPath, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

function socket(query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query}`, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

function rpc(ws: WebSocket, msg: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMsg = (d: WebSocket.RawData) => {
      const m = JSON.parse(d.toString());
      if ("event" in m) return;
      ws.off("message", onMsg);
      resolve(m);
    };
    ws.on("message", onMsg);
    ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  });
}

describe("tome serve", () => {
  it("prints a 127.0.0.1 URL with a random token", async () => {
    await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it("requires the token on every HTTP request; the first page load sets a cookie", async () => {
    await start();
    expect((await get("/")).status).toBe(401);
    expect((await get("/?token=wrong")).status).toBe(401);
    expect((await get("/assets/app.js")).status).toBe(401);
    const ok = await get(`/?token=${server.token}`);
    expect(ok.status).toBe(200);
    expect(ok.headers["content-security-policy"]).toContain("default-src 'self'");
    const cookie = String(ok.headers["set-cookie"]).split(";")[0];
    expect(cookie).toBe(`tome_token=${server.token}`);
    expect((await get("/assets/app.js", { cookie })).status).toBe(200);
    expect((await get("/assets/app.js", { authorization: `Bearer ${server.token}` })).status).toBe(200);
  });

  it("refuses a foreign Host header and paths outside the renderer", async () => {
    await start();
    expect((await get(`/?token=${server.token}`, { host: `evil.example:${server.port}` })).status).toBe(421);
    for (const p of ["/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/assets/..%5c..%5csecret.txt", "/%00", "/nope.js"]) {
      const r = await get(`${p}${p.includes("?") ? "&" : "?"}token=${server.token}`);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain("secret");
    }
  });

  it("refuses sockets without the token or from another origin", async () => {
    await start();
    await expect(socket("")).rejects.toThrow(/401/);
    await expect(socket("?token=nope")).rejects.toThrow(/401/);
    await expect(socket(`?token=${server.token}`, { origin: "http://evil.example" })).rejects.toThrow(/403/);
    const ws = await socket(`?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    ws.close();
  });

  it("answers requests, and malformed messages with a clear error, keeping the socket open", async () => {
    await start();
    const ws = await socket(`?token=${server.token}`);
    expect(await rpc(ws, "not json")).toMatchObject({ id: null, error: { code: "BAD_REQUEST", message: expect.stringMatching(/unreadable message/) } });
    expect(await rpc(ws, { id: 7, method: "library.remove", params: { documentId: "x" } })).toMatchObject({ id: 7, error: { code: "BAD_REQUEST" } });
    expect(await rpc(ws, { id: 8, method: "library.import", params: { name: "../../etc/passwd", dataBase64: "" } })).toMatchObject({ id: 8, error: { code: "BAD_REQUEST" } });
    expect(await rpc(ws, { id: 9, method: "app.info", params: {} })).toMatchObject({ id: 9, result: { mode: "browser" } });
    const lib = await rpc(ws, { id: 10, method: "library.list", params: {} });
    expect(lib.result).toEqual([]);
    ws.close();
  });

  it("closes a socket that sends a message over the size limit", async () => {
    await start();
    const ws = await socket(`?token=${server.token}`);
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.send("x".repeat(LIMITS.maxMessageBytes + 10));
    expect(await closed).toBe(1009); // message too big
    expect((await t.core.call("library.list", {})) as unknown[]).toEqual([]);
  });
});

describe("the data folder's token", () => {
  it("is minted once, kept owner-only, and minted again when the file holds something else", () => {
    const dir = tempDir();
    const first = dataDirToken(dir);
    expect(first).toMatch(/^[\w-]{32}$/);
    expect(dataDirToken(dir)).toBe(first);
    fs.writeFileSync(path.join(dir, "serve-token"), "not a token", { mode: 0o644 });
    const second = dataDirToken(dir);
    expect(second).toMatch(/^[\w-]{32}$/);
    expect(second).not.toBe(first);
    expect(fs.statSync(path.join(dir, "serve-token")).mode & 0o777).toBe(0o600);
  });
});

describe("tome serve (CLI)", () => {
  const built = fs.existsSync("build/main/cli/index.js") && fs.existsSync("build/renderer/index.html");
  /** `tome serve` on dataDir: its first stdout line, and a stop that resolves with its exit code. */
  async function serveOn(dataDir: string) {
    const child = spawn(process.execPath, ["bin/tome.js", "serve", "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (b: Buffer) => {
        out += b;
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.on("exit", (c) => reject(new Error(`exited ${c}`)));
    });
    const stop = () => {
      const exited = new Promise((r) => child.on("exit", r));
      child.kill("SIGTERM");
      return exited;
    };
    return { line, stop };
  }

  it.skipIf(!built)("first stdout line is exactly 'tome: serving at http://127.0.0.1:PORT/?token=...'", async () => {
    const dataDir = tempDir();
    const { line, stop } = await serveOn(dataDir);
    expect(line).toMatch(/^tome: serving at http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/);
    const url = new URL(line.slice("tome: serving at ".length));
    const r = await fetch(url);
    expect(r.status).toBe(200);
    expect(await stop()).toBe(0);
    expect(fs.existsSync(path.join(dataDir, "tome.db"))).toBe(true);
    // restarted on the same data folder it keeps the token, so open pages reconnect
    const again = await serveOn(dataDir);
    expect(new URL(again.line.slice("tome: serving at ".length)).searchParams.get("token")).toBe(url.searchParams.get("token"));
    expect(await again.stop()).toBe(0);
    expect(fs.statSync(path.join(dataDir, "serve-token")).mode & 0o777).toBe(0o600);
    // another folder, another token
    const other = await serveOn(tempDir());
    expect(new URL(other.line.slice("tome: serving at ".length)).searchParams.get("token")).not.toBe(url.searchParams.get("token"));
    expect(await other.stop()).toBe(0);
  });
});
