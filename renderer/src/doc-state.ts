// What the library says of a book: its engine state, or "saved" when it is not
// in the engine but its KV store for the loaded model is on disk (opening it is
// a reopen of seconds, not a read).
import type { DocumentInfo } from "../../main/ipc/contract";

export type ShownDocState = DocumentInfo["state"] | "saved";

export function shownDocState(doc: DocumentInfo, modelPath: string | null | undefined): ShownDocState {
  if (doc.state === "new" && modelPath && doc.savedFor === modelPath) return "saved";
  return doc.state;
}
