// Where a person was reading each book, so that the reader opens it there again
// (after switching books, or a reload): the section's start (a text offset, which
// stays valid while the book's chapters do) and how far down it the view was
// scrolled (a fraction of its scrollable height, so a window of another width
// comes back near the same words). Kept in the page's own storage, one entry for
// each of the books read last; absent or refused storage keeps nothing.

export interface ReadingPlace {
  /** Where the section shown starts in the book's text. */
  at: number;
  /** How far down it the view was, 0 (top) to 1 (bottom). */
  scroll: number;
}

const KEY = "tome.readingPlaces";
/** Books whose place is kept (the most recently read). */
const KEPT = 200;

/** By document id; t orders them, the last kept the highest. */
type Places = Record<string, ReadingPlace & { t: number }>;

function load(): Places {
  try {
    const v: unknown = JSON.parse(globalThis.localStorage?.getItem(KEY) ?? "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Places) : {};
  } catch {
    return {};
  }
}

const valid = (p: ReadingPlace | undefined): p is ReadingPlace =>
  !!p && Number.isInteger(p.at) && p.at >= 0 && typeof p.scroll === "number" && p.scroll >= 0 && p.scroll <= 1;

export function readingPlace(documentId: number): ReadingPlace | null {
  const p = load()[documentId];
  return valid(p) ? { at: p.at, scroll: p.scroll } : null;
}

export function keepReadingPlace(documentId: number, place: ReadingPlace): void {
  const places = load();
  const t = 1 + Math.max(0, ...Object.values(places).map((p) => (typeof p?.t === "number" ? p.t : 0)));
  places[documentId] = { ...place, t };
  const ids = Object.keys(places);
  if (ids.length > KEPT) for (const id of ids.sort((a, b) => places[a].t - places[b].t).slice(0, ids.length - KEPT)) delete places[id];
  try {
    globalThis.localStorage?.setItem(KEY, JSON.stringify(places));
  } catch {
    // storage full or disabled: the place is only a convenience
  }
}

export function forgetReadingPlace(documentId: number): void {
  const places = load();
  if (!(documentId in places)) return;
  delete places[documentId];
  try {
    globalThis.localStorage?.setItem(KEY, JSON.stringify(places));
  } catch {
    // as above
  }
}

/** Every book's place forgotten (a store reset to a fresh page's, in tests). */
export function forgetReadingPlaces(): void {
  try {
    globalThis.localStorage?.removeItem(KEY);
  } catch {
    // as above
  }
}
