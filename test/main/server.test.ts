// tome serve: the token on every socket (not on the app's own files), Host and Origin checks,
// static files confined to the renderer folder, the contract over WebSocket
// (malformed messages answered, oversized ones refused), and the CLI's first line.
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startServer, type RunningServer } from "../../main/server";
import { LIMITS } from "../../main/ipc/validate";
import { dataDirToken } from "../../main/server/auth";
import { sendFile } from "../../main/server/static";
import { BACKLOG_CLOSE_CODE, MAX_BACKLOG_BYTES } from "../../main/server/ws-transport";
import { makeCore, tempDir, until, type TestCore } from "./helpers/core";

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

  it("serves the app's own files without the token, sets no cookie, and says at /auth whether a token is its own", async () => {
    await start();
    // the bundle holds nothing of the user's; a cookie went to every server on the host, any port
    for (const p of ["/", "/assets/app.js", `/?token=${server.token}`]) {
      const r = await get(p);
      expect(r.status, p).toBe(200);
      expect(r.headers["set-cookie"], p).toBeUndefined();
      expect(r.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    }
    expect((await get("/auth")).status).toBe(401);
    expect((await get("/auth?token=wrong")).status).toBe(401);
    expect((await get("/auth", { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await get("/auth", { cookie: `tome_token_${server.port}=${server.token}` })).status).toBe(401);
    expect((await get("/auth", { authorization: `Bearer ${server.token}` })).status).toBe(204);
    expect((await get(`/auth?token=${server.token}`)).status).toBe(204);
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
    await expect(socket("", { cookie: `tome_token_${server.port}=${server.token}` })).rejects.toThrow(/401/);
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

  /** Raw bytes to the server; the status line it answers. */
  function rawRequest(text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = net.connect(server.port, "127.0.0.1", () => c.write(text));
      c.setTimeout(5000, () => c.destroy()); // no answer at all: "" (not a hang until the test's timeout)
      let got = "";
      c.on("data", (d) => (got += d));
      c.on("close", () => resolve(got.split("\r\n")[0]));
      c.on("error", reject);
    });
  }

  it("answers a request line whose URL cannot be parsed with 400, and keeps serving", async () => {
    // Node's parser lets "http://[" through and new URL() throws on it: thrown in the request
    // or upgrade listener, it ended the process, before any token was looked at.
    await start();
    const host = `Host: 127.0.0.1:${server.port}\r\n`;
    expect(await rawRequest(`GET http://[ HTTP/1.1\r\n${host}Connection: close\r\n\r\n`)).toBe("HTTP/1.1 400 Bad Request");
    const upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    expect(await rawRequest(`GET http://[ HTTP/1.1\r\n${host}${upgrade}\r\n`)).toBe("HTTP/1.1 400 Bad Request");
    expect((await get(`/?token=${server.token}`)).status).toBe(200);
  });

  it("serves the URL it prints on an IPv6 address", async () => {
    // A browser sends an IPv6 host bracketed and canonical ("[::ffff:7f00:1]"); the Host and
    // Origin checks compared it with the bare --host and refused the printed URL (421).
    t = makeCore();
    const root = tempDir("tome-renderer-");
    fs.writeFileSync(path.join(root, "index.html"), "<!doctype html><title>tome</title>");
    server = await startServer({ core: t.core, rendererDir: root, host: "::ffff:127.0.0.1", port: 0 });
    expect((await fetch(server.url)).status).toBe(200);
    expect(server.url).toBe(`http://[::ffff:7f00:1]:${server.port}/?token=${server.token}`);
    const ws = new WebSocket(`ws://[::ffff:7f00:1]:${server.port}/ws?token=${server.token}`, { origin: `http://[::ffff:7f00:1]:${server.port}` });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    ws.close();
    expect((await get(`/?token=${server.token}`, { host: `evil.example:${server.port}` })).status).toBe(421);
  });

  it("closes a socket whose client stops reading once the backlog passes its limit", async () => {
    // Every event goes to every socket; a client that does not read had them all queued in the
    // server's memory, without bound. It is closed instead, and reconnects and reloads.
    await start();
    const ws = await socket(`?token=${server.token}`);
    const text = "x".repeat(1 << 20);
    // the limit, plus more than the kernel's socket buffers can hold on both sides
    const n = Math.ceil(MAX_BACKLOG_BYTES / text.length) + 64;
    let received = 0;
    const outcome = new Promise<string>((r) => {
      ws.on("message", () => ++received === n && r("all received"));
      ws.once("close", (code) => r(`closed ${code}`));
    });
    ws.pause(); // stops reading the TCP socket: the kernel's buffers fill, then the server's
    for (let i = 0; i < n; i++) t.core.emit("app.notice", { kind: "info", text });
    ws.resume();
    expect(await outcome).toBe(`closed ${BACKLOG_CLOSE_CODE}`);
    expect(received).toBeGreaterThan(0); // what was queued before the limit still arrives
  });
});

describe("static files", () => {
  it("answers a file that cannot be opened with 404 instead of ending the process", async () => {
    // resolveStatic saw the file; a rebuild can remove it before it is opened.
    const srv = http.createServer((_req, res) => sendFile(res, path.join(tempDir(), "gone.js"), {}));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    try {
      const r = await fetch(`http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/`, { signal: AbortSignal.timeout(5000) }); // no answer: fail, not hang
      expect(r.status).toBe(404);
      expect(await r.text()).toMatch(/cannot read this file \(ENOENT\)/);
    } finally {
      srv.close();
    }
  });

  it.skipIf(process.platform !== "linux")("closes the file when the client goes away mid-file", async () => {
    // pipe() leaves the file's stream paused and open when the response closes early: one
    // descriptor more for every aborted load (a reload while the bundle or its map loads).
    const root = await start();
    const big = path.join(root, "assets", "big.js");
    fs.writeFileSync(big, Buffer.alloc(16 << 20, 0x61)); // more than the sockets buffer
    const openOnBig = () =>
      fs.readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === big;
        } catch {
          return false;
        }
      }).length;
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port: server.port, path: `/assets/big.js?token=${server.token}`, headers: { host: `127.0.0.1:${server.port}` } }, (res) =>
          res.on("error", () => {}).once("data", () => {
            req.destroy();
            resolve();
          }),
        );
        req.on("error", reject);
      });
    }
    await until(() => openOnBig() === 0);
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
