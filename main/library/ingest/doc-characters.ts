// Which characters of a Word 97-2003 document are not its text: deleted revisions
// (tracked changes, still in the file) and hidden text ([MS-DOC]).
//   character properties' bins (PlcBteChpx, FIB pair 12; ./doc-fkp): per run a byte,
//   the offset/2 of its properties (0: none); the properties: a size byte, then
//   changes: 0x0800 deleted, 0x083C hidden (1, or 0x81 "the opposite of the
//   style's", set)
// A character's properties are those of the run holding its FC.
import { FkpBins, pageRuns, sprms, type FkpPage } from "./doc-fkp";

const SPRM_C_DELETED = 0x0800;
const SPRM_C_HIDDEN = 0x083c;

export class LeftOutCharacters {
  private readonly bins: FkpBins<boolean>;

  constructor(word: Uint8Array, table: Uint8Array, pair: [number, number]) {
    this.bins = new FkpBins(word, table, pair, readPage);
  }

  /** Whether the character stored at `fc` is deleted or hidden. */
  at(fc: number): boolean {
    return this.bins.at(fc) ?? false;
  }
}

/** A character properties' page: per run 1 byte, its properties' offset/2. */
function readPage(b: Uint8Array): FkpPage<boolean> | null {
  const fcs = pageRuns(b, 1);
  if (!fcs) return null;
  const runs = fcs.length - 1;
  const out = Array.from({ length: runs }, (_, i) => {
    const offset = 2 * b[4 * (runs + 1) + i];
    if (!offset || offset >= 511) return false;
    for (const { sprm, operand } of sprms(b, offset + 1, Math.min(511, offset + 1 + b[offset])))
      if ((sprm === SPRM_C_DELETED || sprm === SPRM_C_HIDDEN) && (b[operand] === 1 || b[operand] === 0x81)) return true;
    return false;
  });
  return { fcs, runs: out };
}
