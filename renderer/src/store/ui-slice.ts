// UI state: notices (errors shown to the person), connection state, open dialogs,
// and where the reader should jump.
import type { Slice } from "./types";
import { CONNECTION_LOST, type ConnectionState } from "../transport/ws";

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
  /** How many times it was raised; a repeat refreshes the one shown instead of stacking. */
  count: number;
}

export interface UiSlice {
  notices: Notice[];
  connection: ConnectionState;
  /** When the open connection went away (ms since the epoch); null while it is up or was never
   *  up. It stays set through the reconnection attempts (connecting, closed, connecting, ...). */
  lostAt: number | null;
  settingsOpen: boolean;
  /** Counts the requests to open the reader's find bar (the desktop menu's Find in Book, a library search's book). */
  findRequests: number;
  /** Counts the requests to go to the search of every book (the desktop menu's Search All Books, Ctrl/Cmd+Shift+F). */
  librarySearchRequests: number;
  /** The phrase the last request with one asked the bar to find (a library search's); seq counts them. */
  findQuery: { text: string; seq: number } | null;
  /**
   * Where the reader goes next; answerId: the answer whose passage was clicked (its passages are
   * marked). `quoted`: the end of a question's quoted passage, shown marked on its own.
   */
  jumpTo: { documentId: number; offset: number; answerId: number | null; quoted?: number; seq: number } | null;
  notify(kind: Notice["kind"], text: string): void;
  dismiss(id: number): void;
  setConnection(c: UiSlice["connection"]): void;
  setSettingsOpen(open: boolean): void;
  requestFind(query?: string): void;
  /** The bar closed: a later one opens empty. */
  clearFindQuery(): void;
  requestLibrarySearch(): void;
  jump(documentId: number, offset: number, answerId?: number): void;
  /** Shows a question's quoted passage [start, end) in the reader, marked. */
  showQuoted(documentId: number, start: number, end: number): void;
}

/** The most notices shown at once; the oldest give way. */
const MAX_NOTICES = 3;
let noticeId = 1;

export const uiSlice: Slice<UiSlice> = (set) => ({
  notices: [],
  connection: "connecting",
  lostAt: null,
  settingsOpen: false,
  findRequests: 0,
  findQuery: null,
  librarySearchRequests: 0,
  jumpTo: null,
  notify: (kind, raw) =>
    set((s) => {
      // While the connection is down its banner says so; calls failing for that reason add nothing.
      if (s.lostAt !== null && raw.includes(CONNECTION_LOST)) return {};
      const text = readable(raw);
      const same = s.notices.find((n) => n.kind === kind && n.text === text);
      const rest = s.notices.filter((n) => n !== same).slice(-(MAX_NOTICES - 1));
      // a new id: the repeat moves to the end and its time to expire starts again
      return { notices: [...rest, { id: noticeId++, kind, text, count: (same?.count ?? 0) + 1 }] };
    }),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  setConnection: (connection) =>
    set((s) => ({
      connection,
      // refused: no call will be answered, as when the connection is lost
      lostAt: connection === "open" ? null : (s.lostAt ?? (s.connection === "open" || connection === "refused" ? Date.now() : null)),
    })),
  setSettingsOpen: (settingsOpen) => set({ settingsOpen }),
  requestFind: (query) =>
    set((s) => ({
      findRequests: s.findRequests + 1,
      findQuery: query === undefined ? s.findQuery : { text: query, seq: (s.findQuery?.seq ?? 0) + 1 },
    })),
  requestLibrarySearch: () => set((s) => ({ librarySearchRequests: s.librarySearchRequests + 1 })),
  clearFindQuery: () => set((s) => (s.findQuery ? { findQuery: { text: "", seq: s.findQuery.seq } } : {})),
  jump: (documentId, offset, answerId) => set((s) => ({ jumpTo: { documentId, offset, answerId: answerId ?? null, seq: (s.jumpTo?.seq ?? 0) + 1 } })),
  showQuoted: (documentId, start, end) => set((s) => ({ jumpTo: { documentId, offset: start, answerId: null, quoted: end, seq: (s.jumpTo?.seq ?? 0) + 1 } })),
});

/** A refusal of the contract's validation names the field, not the request ("params.text: must …"). */
function readable(text: string): string {
  const t = text.replace(/^params\.([\w.]+): /, (_, field: string) => `${field.split(".").pop()} `);
  return t.charAt(0).toUpperCase() + t.slice(1);
}
