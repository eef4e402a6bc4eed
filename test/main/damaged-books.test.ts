// Damaged files of the binary formats (Word 97-2003, Kindle) and of the zipped and
// tagged ones: converters' real files (test/fixtures) with bytes overwritten or cut
// off, seeded. Each must be read, or refused with a coded error (CORRUPT_FILE and
// the like): never a crash of the reader (a TypeError, a RangeError), never a hang.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ingest } from "../../main/library/ingest";
import { AppError } from "../../main/ipc/errors";

const fixtures = path.join(__dirname, "..", "fixtures");
const FILES = ["word/ledger.doc", "word/numbered.doc", "word/ledger.docx", "word/ledger.odt", "word/ledger.rtf", "kindle/ledger.azw3", "kindle/ledger-mobi6.mobi", "kindle/ledger-both-uncompressed.mobi"];
const TRIES = 120;

describe("damaged books", () => {
  for (const file of FILES) {
    it(`${file}: ${TRIES} damaged copies read or refused with a code`, async () => {
      const original = fs.readFileSync(path.join(fixtures, file));
      let x = 7 + file.length;
      const rand = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
      const outcomes = { read: 0, refused: 0 };
      for (let k = 0; k < TRIES; k++) {
        const b = Buffer.from(original);
        const kind = k % 3;
        if (kind === 0) for (let j = 0, n = 1 + rand(20); j < n; j++) b[rand(b.length)] = rand(256);
        else if (kind === 1) b.fill(0xff, rand(b.length)); // overwritten from a place to the end
        const input = kind === 2 ? b.subarray(0, rand(b.length)) : b;
        try {
          await ingest(path.basename(file), input);
          outcomes.read++;
        } catch (e) {
          if (!(e instanceof AppError)) throw new Error(`try ${k} (${["bytes changed", "overwritten", "cut"][kind]}): ${(e as Error).stack}`);
          outcomes.refused++;
        }
      }
      expect(outcomes.read + outcomes.refused).toBe(TRIES);
      expect(outcomes.refused).toBeGreaterThan(0); // (the damage reached what the reader checks)
    });
  }
});
