// The one store, from typed slices, plus the binding of contract events to it.
// Components use narrow selectors: useStore((s) => s.documents).
import { create } from "zustand";
import type { TomeApi } from "../../../main/ipc/contract";
import { librarySlice, remember } from "./library-slice";
import { chatSlice } from "./chat-slice";
import { engineSlice } from "./engine-slice";
import { statsSlice } from "./stats-slice";
import { uiSlice } from "./ui-slice";
import { evalSlice } from "./eval-slice";
import type { Store } from "./types";
import { forgetReadingPlaces } from "../reading-place";

export type { Store } from "./types";

export const useStore = create<Store>()((...a) => ({
  ...librarySlice(...a),
  ...chatSlice(...a),
  ...engineSlice(...a),
  ...statsSlice(...a),
  ...uiSlice(...a),
  ...evalSlice(...a),
}));

const initial = useStore.getState();

/** Back to the initial state (tests call this between cases). */
export function resetStore() {
  useStore.setState(initial, true);
  remember(null); // and the selection kept for the next page load, and the books' reading places
  forgetReadingPlaces();
}

/** Subscribes the store to the contract's events; returns the unsubscribe. */
export function bindEvents(api: TomeApi): () => void {
  const s = () => useStore.getState();
  const offs = [
    api.on("doc.updated", (d) => s().docUpdated(d)),
    api.on("doc.removed", ({ documentId }) => s().docRemoved(documentId)),
    api.on("doc.progress", (p) => s().setProgress(p)),
    api.on("library.importing", (e) => s().importingFromDialog(e)),
    api.on("chat.delta", ({ conversationId, messageId, offset, text }) => s().appendDelta(conversationId, messageId, offset, text)),
    api.on("chat.message", (m) => s().messageUpdated(m)),
    api.on("chat.conversation", (c) => s().conversationUpdated(c)),
    api.on("chat.conversationRemoved", ({ conversationId }) => s().conversationRemoved(conversationId)),
    api.on("chat.messagesRemoved", ({ conversationId, messageIds }) => s().messagesRemoved(conversationId, messageIds)),
    api.on("stats.token", (t) => s().addTokenStats(t)),
    api.on("stats.memory", (m) => s().setMemory(m)),
    api.on("engine.status", (e) => s().setEngine(e)),
    api.on("settings.updated", (x) => s().setSettings(x)),
    api.on("eval.progress", ({ jobId, progress, row }) => s().evalRowArrived(jobId, progress, row)),
    api.on("eval.done", ({ jobId, result, error }) => s().evalDone(jobId, result, error)),
    api.on("app.notice", ({ kind, text }) => s().notify(kind, text)),
    api.on("ui.command", ({ command }) => {
      if (command === "settings") s().setSettingsOpen(true);
      else if (command === "openModel") void s().openModelDialog();
      else if (command === "find") s().requestFind();
      else if (command === "searchAll") s().requestLibrarySearch();
      else s().notify("info", "tome: chat with a whole book, offline. RetrievalAttention (arXiv 2409.10516).");
    }),
  ];
  return () => offs.forEach((off) => off());
}
