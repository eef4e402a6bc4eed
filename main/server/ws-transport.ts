// The contract over one WebSocket: JSON text frames.
//   in:  { id, method, params }          -> core.call -> { id, result } | { id, error }
//   out: { event, data }                 for every core event while the socket is open
// Unreadable JSON or a malformed envelope is answered with { id: null, error }
// and the socket stays open; nothing else happens. A client that stops reading
// is closed once MAX_BACKLOG_BYTES wait for it (see send).
import type { WebSocket } from "ws";
import type { AppCore } from "../app/core";
import { toContractError } from "../ipc/errors";
import { validateRequest } from "../ipc/validate";
import type { ResponseMessage } from "../ipc/contract";

/**
 * What may wait unsent for one client before it is closed. Far above any one answer the app's
 * page asks for (its reader fetches a book a few pages at a time), so a page that reads is not
 * closed; a client that asks for a whole large book at once may be, if events pile up behind it.
 */
export const MAX_BACKLOG_BYTES = 32 * 1024 * 1024;

/** The close code given to a client too far behind (RFC 6455 1013, "try again later"). */
export const BACKLOG_CLOSE_CODE = 1013;

export function serveSocket(ws: WebSocket, core: AppCore) {
  // Every event goes to every socket, answer tokens included; a client that does not read (a
  // page stopped in the debugger, a stuck script) had them all queued in this process, without
  // bound. Past the limit the socket is closed instead: the close frame goes out behind what
  // waits, nothing more is queued, and the page reconnects and loads its state again.
  const send = (m: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BACKLOG_BYTES) {
      ws.close(BACKLOG_CLOSE_CODE, "too far behind: messages not read");
      return;
    }
    ws.send(JSON.stringify(m));
  };
  const off = core.onEvent((event, data) => send({ event, data }));
  ws.on("close", off);
  ws.on("error", off);
  ws.on("message", (raw, isBinary) => {
    let id: number | null = null;
    let msg: unknown;
    try {
      if (isBinary) throw new Error("binary frames are not part of the contract");
      msg = JSON.parse(raw.toString());
      if (typeof msg === "object" && msg !== null && typeof (msg as { id?: unknown }).id === "number") id = (msg as { id: number }).id;
    } catch (e) {
      send({ id: null, error: { code: "BAD_REQUEST", message: `unreadable message: ${(e as Error).message}` } } satisfies ResponseMessage);
      return;
    }
    let req;
    try {
      req = validateRequest(msg);
    } catch (e) {
      send({ id, error: toContractError(e) } satisfies ResponseMessage);
      return;
    }
    core.call(req.method, req.params).then(
      (result) => send({ id: req.id, result } satisfies ResponseMessage),
      (e) => send({ id: req.id, error: toContractError(e) } satisfies ResponseMessage),
    );
  });
}
