// tome serve's HTTP + WebSocket server: the built renderer as static files and
// the contract at /ws, on 127.0.0.1 unless told otherwise, behind a random token
// (auth.ts); /auth answers whether a request carries it, so the page can tell a
// wrong token from a server that is away.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import type { AppCore } from "../app/core";
import { LIMITS } from "../ipc/validate";
import { hasToken, hostAllowed, newToken, originAllowed, requestUrl, urlHost } from "./auth";
import { resolveStatic, securityHeaders, sendFile } from "./static";
import { serveSocket } from "./ws-transport";

export interface ServerOptions {
  core: AppCore;
  rendererDir: string;
  host?: string;
  port?: number; // 0 = a free port
  token?: string;
}

export interface RunningServer {
  url: string; // http://HOST:PORT/?token=...
  port: number;
  token: string;
  close(): Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const host = o.host ?? "127.0.0.1";
  const token = o.token ?? newToken();
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxMessageBytes });
  let port = 0;

  const refuse = (res: http.ServerResponse, status: number, text: string) => {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...securityHeaders(port) });
    res.end(`tome: ${text}\n`);
  };

  server.on("request", (req, res) => {
    const url = requestUrl(req);
    if (!url) return refuse(res, 400, "unreadable request URL");
    if (!hostAllowed(req, host, port)) return refuse(res, 421, "unexpected Host header");
    if (req.method !== "GET" && req.method !== "HEAD") return refuse(res, 405, "method not allowed");
    if (url.pathname === "/auth") {
      if (!hasToken(req, token)) return refuse(res, 401, "wrong or missing access token; open the URL tome serve printed");
      res.writeHead(204, securityHeaders(port));
      return res.end();
    }
    const file = resolveStatic(o.rendererDir, url.pathname);
    if (!file) return refuse(res, 404, "not found");
    sendFile(res, file, securityHeaders(port));
  });

  server.on("upgrade", (req, socket, head) => {
    const deny = (status: string) => {
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    const url = requestUrl(req);
    if (!url) return deny("400 Bad Request");
    if (url.pathname !== "/ws") return deny("404 Not Found");
    if (!hostAllowed(req, host, port) || !originAllowed(req, host, port)) return deny("403 Forbidden");
    if (!hasToken(req, token)) return deny("401 Unauthorized");
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, o.core));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = urlHost(host);
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
