// A Word document's automatic numbering (word/numbering.xml): the "1.2", "a)" or
// bullet a numbered heading or list item shows, which is not in its text. A
// paragraph is numbered by its own <w:numPr> (numId, ilvl) or its style's.
//   <w:num w:numId>       an instance of an abstract list (<w:abstractNumId>),
//                         possibly restarting a level (<w:startOverride>)
//   <w:abstractNum>       per level: <w:start>, <w:numFmt> (decimal, lowerLetter,
//                         upperRoman, bullet, ...), <w:lvlText> ("%1.%2." names
//                         the levels' numbers, a bullet's character itself)
// Counters are kept per abstract list, as Word continues a list across its
// instances; a level's count restarts when a shallower level's goes on. A bullet
// set in a symbol font (its character in the private-use area) reads as "•".
import { plainBullet, prefixFor } from "./document-book";
import { W_MAIN } from "./docx-text";

interface Level {
  start: number;
  format: string;
  text: string;
}

export interface DocxNumbering {
  /** The label a paragraph numbered (numId, ilvl) shows, counting it; null for none. */
  label(numId: string, ilvl: number): string | null;
}

export function readNumbering(xml: string | undefined): DocxNumbering {
  const abstracts = new Map<string, Level[]>();
  const nums = new Map<string, { abstract: string; starts: Map<number, number> }>();
  if (xml) {
    const w = prefixFor(xml, W_MAIN, "w");
    const val = (s: string, tag: string) => new RegExp(`<${w}:${tag}\\b[^>]*\\b${w}:val\\s*=\\s*"([^"]*)"`).exec(s)?.[1] ?? null;
    for (const a of xml.matchAll(new RegExp(`<${w}:abstractNum\\b[^>]*\\b${w}:abstractNumId\\s*=\\s*"([^"]*)"[^>]*>([\\s\\S]*?)</${w}:abstractNum>`, "g"))) {
      const levels: Level[] = [];
      for (const l of a[2].matchAll(new RegExp(`<${w}:lvl\\b[^>]*\\b${w}:ilvl\\s*=\\s*"(\\d)"[^>]*>([\\s\\S]*?)</${w}:lvl>`, "g")))
        levels[Number(l[1])] = { start: Number(val(l[2], "start") ?? 1), format: val(l[2], "numFmt") ?? "decimal", text: val(l[2], "lvlText") ?? "" };
      abstracts.set(a[1], levels);
    }
    for (const n of xml.matchAll(new RegExp(`<${w}:num\\b[^>]*\\b${w}:numId\\s*=\\s*"([^"]*)"[^>]*>([\\s\\S]*?)</${w}:num>`, "g"))) {
      const abstract = val(n[2], "abstractNumId");
      if (abstract === null) continue;
      const starts = new Map<number, number>();
      for (const o of n[2].matchAll(new RegExp(`<${w}:lvlOverride\\b[^>]*\\b${w}:ilvl\\s*=\\s*"(\\d)"[^>]*>([\\s\\S]*?)</${w}:lvlOverride>`, "g"))) {
        const s = val(o[2], "startOverride");
        if (s !== null) starts.set(Number(o[1]), Number(s));
      }
      nums.set(n[1], { abstract, starts });
    }
  }
  const counts = new Map<string, number[]>(); // per abstract list: each level's current number
  const begun = new Set<string>(); // instances whose overrides took effect
  return {
    label(numId, ilvl) {
      const num = nums.get(numId);
      const levels = num && abstracts.get(num.abstract);
      const level = levels?.[ilvl];
      if (!num || !levels || !level) return null;
      let c = counts.get(num.abstract);
      if (!c) counts.set(num.abstract, (c = []));
      if (!begun.has(numId)) {
        begun.add(numId);
        for (const [l, s] of num.starts) c[l] = s - 1; // (counted up to s below)
      }
      c[ilvl] = (c[ilvl] ?? (levels[ilvl]?.start ?? 1) - 1) + 1;
      for (let d = ilvl + 1; d < 9; d++) delete c[d];
      if (level.format === "none") return null;
      if (level.format === "bullet") return level.text ? plainBullet(level.text) : "\u2022";
      return level.text.replace(/%([1-9])/g, (_, k: string) => {
        const d = Number(k) - 1;
        return formatNumber(c![d] ?? levels[d]?.start ?? 1, levels[d]?.format ?? "decimal");
      }) || null;
    },
  };
}

/** A list's number in one of Word's formats (decimal, lowerLetter, upperRoman, ...; OpenDocument's map onto them). */
export function formatNumber(n: number, format: string): string {
  switch (format) {
    case "lowerLetter":
      return letters(n).toLowerCase();
    case "upperLetter":
      return letters(n);
    case "lowerRoman":
      return roman(n).toLowerCase();
    case "upperRoman":
      return roman(n);
    case "decimalZero":
      return n < 10 ? `0${n}` : String(n);
    default:
      return String(n);
  }
}

/** Word's letters: A..Z, then AA..ZZ, AAA.. (the letter repeated; past 26 x 10, digits: a hostile start must not repeat a letter millions of times). */
function letters(n: number): string {
  if (n < 1 || n > 260) return String(n);
  const ch = String.fromCharCode(65 + ((n - 1) % 26));
  return ch.repeat(Math.floor((n - 1) / 26) + 1);
}

function roman(n: number): string {
  if (n < 1 || n >= 4000) return String(n);
  const parts: [number, string][] = [[1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"], [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"]];
  let out = "";
  for (const [v, s] of parts) for (; n >= v; n -= v) out += s;
  return out;
}
