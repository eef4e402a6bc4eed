// Documents: the list, the selected one, read progress, imports.
import type { DocumentInfo, ReadProgress } from "../../../main/ipc/contract";
import { api, messageOf } from "./api";
import { toBase64 } from "../transport/base64";
import type { StoreApi } from "zustand";
import type { Slice, Store } from "./types";
import { forgetReadingPlace } from "../reading-place";

export interface LibrarySlice {
  documents: DocumentInfo[];
  selectedDocId: number | null;
  progress: Record<number, ReadProgress>;
  /** Files being opened now (read and stored by main; the desktop dialog's too), each with the id that stops it. */
  importing: { name: string; importId: string }[];
  /** Counts the Stops taken: a drop's files not yet opened when it changes are left. */
  importStops: number;
  maxImportBytes: number;
  loadDocuments(): Promise<void>;
  selectDocument(id: number | null): Promise<void>;
  importFiles(files: File[]): Promise<void>;
  /** Stops the file being opened and the rest of the drops under way. */
  stopImports(): Promise<void>;
  /** A file of the desktop dialog's choice being opened by main (library.importing), or done. */
  importingFromDialog(e: { importId: string; name: string; done: boolean }): void;
  /**
   * Reads (or opens a saved) book; `fresh`: read it again under today's settings, replacing its
   * saved read. The read's job id, or null when it was refused (a notice says why).
   */
  readDocument(id: number, o?: { fresh?: boolean }): Promise<string | null>;
  cancelRead(id: number): Promise<void>;
  removeDocument(id: number): Promise<void>;
  docUpdated(d: DocumentInfo): void;
  docRemoved(id: number): void;
  setProgress(p: ReadProgress): void;
}

export const librarySlice: Slice<LibrarySlice> = (set, get, store) => ({
  documents: [],
  selectedDocId: null,
  progress: {},
  importing: [],
  importStops: 0,
  maxImportBytes: 64 * 1024 * 1024,

  loadDocuments: async () => {
    const documents = await api()["library.list"]({});
    set({ documents });
    const sel = get().selectedDocId;
    if ((sel === null || !documents.some((d) => d.id === sel)) && documents.length) {
      // the book selected before a reload or a restart, else the first
      const last = remembered();
      await get().selectDocument(documents.some((d) => d.id === last) ? last! : documents[0].id);
    }
  },

  selectDocument: async (id) => {
    set({ selectedDocId: id });
    remember(id);
    await get().loadConversations(id);
  },

  importFiles: async (files) => {
    // Several books at once: the engine reads one at a time, so the others wait for the one
    // before (each read in turn, the last one, selected, ending in the engine). Something else
    // taking the engine meanwhile (a question, a model) ends the turns: the rest keep Read it now.
    let reading: { jobId: string; documentId: number } | null = null;
    const waiting: number[] = [];
    const stops = get().importStops;
    const stopped = () => get().importStops !== stops;
    for (const f of files) {
      if (stopped()) break;
      if (f.size > get().maxImportBytes) {
        get().notify("error", `'${f.name}' is ${(f.size / 2 ** 20).toFixed(0)} MiB; the limit is ${get().maxImportBytes / 2 ** 20} MiB.`);
        continue;
      }
      const entry = { name: f.name, importId: nextImportId() };
      set((s) => ({ importing: [...s.importing, entry] }));
      // Decided from the list before the call: main announces a new book (doc.updated) before it replies.
      const known = new Set(get().documents.map((d) => d.id));
      try {
        const bytes = new Uint8Array(await f.arrayBuffer());
        if (stopped()) {
          get().notify("info", `Stopped opening '${f.name}'.`);
          break; // (the finally below still runs)
        }
        const doc = await api()["library.import"]({ name: f.name, dataBase64: toBase64(bytes), importId: entry.importId });
        // the same bytes again: the library keeps one copy, and says so
        if (known.has(doc.id)) get().notify("info", `“${doc.title}” is already in the library.`);
        get().docUpdated(doc);
        await get().selectDocument(doc.id);
        // A new book is read at once when a model is loaded, so it becomes ready.
        if (get().engine?.model && doc.state !== "ready") {
          if (reading) waiting.push(doc.id);
          else if (!get().engineBusy()) {
            const jobId = await get().readDocument(doc.id);
            if (jobId) reading = { jobId, documentId: doc.id };
          }
        }
      } catch (e) {
        if ((e as { code?: string }).code === "CANCELLED") get().notify("info", `Stopped opening '${f.name}'.`);
        else get().notify("error", `Could not open '${f.name}': ${messageOf(e)}`);
      } finally {
        set((s) => ({ importing: s.importing.filter((x) => x !== entry) }));
      }
    }
    if (!reading || !waiting.length) return;
    void (async () => {
      for (const id of waiting) {
        await readOver(store, reading);
        const d = get().documents.find((x) => x.id === id);
        if (!get().engine?.model || get().engineBusy()) return;
        if (!d || d.state === "ready" || d.state === "reading") continue; // removed, or read meanwhile
        const jobId = await get().readDocument(id);
        if (!jobId) return;
        reading = { jobId, documentId: id };
      }
    })();
  },

  importingFromDialog: ({ importId, name, done }) =>
    set((s) => ({
      importing: done ? s.importing.filter((x) => x.importId !== importId) : s.importing.some((x) => x.importId === importId) ? s.importing : [...s.importing, { name, importId }],
    })),

  stopImports: async () => {
    set((s) => ({ importStops: s.importStops + 1 }));
    await Promise.all(get().importing.map((x) => api()["library.cancelImport"]({ importId: x.importId }).catch(() => undefined)));
  },

  readDocument: async (id, o) => {
    try {
      return (await api()["library.read"](o?.fresh ? { documentId: id, fresh: true } : { documentId: id })).jobId;
    } catch (e) {
      get().notify("error", messageOf(e));
      return null;
    }
  },

  // By the book: a page loaded mid-read has had no progress (which names the job) while it tokenizes.
  cancelRead: async (id) => {
    await api()["library.cancel"]({ documentId: id }).catch((e) => get().notify("error", messageOf(e)));
  },

  removeDocument: async (id) => {
    try {
      await api()["library.remove"]({ documentId: id });
      get().docRemoved(id);
    } catch (e) {
      get().notify("error", messageOf(e));
    }
  },

  docUpdated: (d) =>
    set((s) => {
      const i = s.documents.findIndex((x) => x.id === d.id);
      // A book not listed yet takes its place in the server's order (library.list: newest first),
      // not the top: at start-up the model's load reports every book, possibly before the list
      // arrives, and prepending them one by one would show the list reversed until it does.
      const documents = i >= 0 ? s.documents.map((x) => (x.id === d.id ? d : x)) : [...s.documents, d].sort(newestFirst);
      const progress = d.state === "reading" ? s.progress : omit(s.progress, d.id);
      return { documents, progress };
    }),

  // Called twice for one removal (the call's result, then the doc.removed event): the second finds nothing.
  docRemoved: (id) => {
    const { documents, selectedDocId } = get();
    const i = documents.findIndex((d) => d.id === id);
    if (i < 0) return;
    const rest = documents.filter((d) => d.id !== id);
    set((s) => ({ documents: rest, progress: omit(s.progress, id) }));
    forgetReadingPlace(id);
    if (selectedDocId !== id) return;
    // Its conversations leave the screen at once; the book that took its place in the list
    // (or the one before it, or none) is selected.
    void get().loadConversations(null);
    void get().selectDocument((rest[i] ?? rest[i - 1])?.id ?? null);
  },

  setProgress: (p) => set((s) => ({ progress: { ...s.progress, [p.documentId]: p } })),
});

/**
 * Whether the book's read was asked to stop and has not ended yet (engine.status says so, to every
 * page): a read stops between two chunks, or right after tokenizing, which cannot be interrupted.
 */
export function readCancelling(s: Store, documentId: number): boolean {
  const job = s.engine?.job;
  return !!job?.cancelling && job.documentId === documentId && s.documents.find((d) => d.id === documentId)?.state === "reading";
}

/**
 * Resolves when the read has ended: the engine ran its job (or the book came out of it ready or
 * failed, or was removed) and runs it no more. A read refused before it started never resolves.
 */
function readOver(store: StoreApi<Store>, read: { jobId: string; documentId: number }): Promise<void> {
  return new Promise((resolve) => {
    let seen = false;
    const check = (s: Store) => {
      const running = s.engine?.job?.id === read.jobId;
      const state = s.documents.find((d) => d.id === read.documentId)?.state;
      seen ||= running || state === "reading";
      // a book removed meanwhile ends its read too
      if (running || !(seen || state === undefined || state === "ready" || state === "error")) return;
      off();
      resolve();
    };
    const off = store.subscribe(check);
    check(store.getState());
  });
}

/** library.list's order: created_at DESC, id DESC. */
function newestFirst(a: DocumentInfo, b: DocumentInfo): number {
  return b.createdAt - a.createdAt || b.id - a.id;
}

function omit<T>(o: Record<number, T>, k: number): Record<number, T> {
  const { [k]: _gone, ...rest } = o;
  return rest;
}

// The selected book survives a reload: the page's own storage (absent or refused: nothing kept).
const SELECTED_KEY = "tome.selectedDocId";
function remembered(): number | null {
  try {
    const v = Number(globalThis.localStorage?.getItem(SELECTED_KEY));
    return Number.isInteger(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}
export function remember(id: number | null) {
  try {
    if (id === null) globalThis.localStorage?.removeItem(SELECTED_KEY);
    else globalThis.localStorage?.setItem(SELECTED_KEY, String(id));
  } catch {
    // storage full or disabled: the selection is only a convenience
  }
}

let importSeq = 0;
/** An id for one import, unique in this page (main keys its imports by it while they run). */
function nextImportId(): string {
  return `import-${Date.now().toString(36)}-${++importSeq}`;
}
