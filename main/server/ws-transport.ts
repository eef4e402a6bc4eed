// The contract over one WebSocket: JSON text frames.
//   in:  { id, method, params }          -> core.call -> { id, result } | { id, error }
//   out: { event, data }                 for every core event while the socket is open
// Unreadable JSON or a malformed envelope is answered with { id: null, error }
// and the socket stays open; nothing else happens.
import type { WebSocket } from "ws";
import type { AppCore } from "../app/core";
import { toContractError } from "../ipc/errors";
import { validateRequest } from "../ipc/validate";
import type { ResponseMessage } from "../ipc/contract";

export function serveSocket(ws: WebSocket, core: AppCore) {
  const send = (m: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
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
