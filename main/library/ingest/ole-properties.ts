// A compound file's summary information ("\x05SummaryInformation", [MS-OLEPS]):
// its title and author, as Word's File > Properties shows them.
//   stream     byte order (0xFFFE), ..., set count (24), then the first set's
//              FMTID (28) and offset (44)
//   section    size, property count, then (id, offset from the section) pairs
//   property   type (u32: 2 a 16-bit integer, 0x1E a string in the section's code
//              page: u32 size with its NUL, bytes; 0x1F UTF-16: u32 characters)
// Ids: 1 the code page, 2 the title, 4 the author.
import { decode1252 } from "./decode";
import { decodedAs } from "./markup-encoding";

export interface SummaryInfo {
  title: string | null;
  author: string | null;
}

const VT_I2 = 0x02;
const VT_LPSTR = 0x1e;
const VT_LPWSTR = 0x1f;

export function summaryInfo(stream: Uint8Array | null): SummaryInfo {
  const none = { title: null, author: null };
  if (!stream || stream.length < 48) return none;
  const v = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  if (v.getUint16(0, true) !== 0xfffe || v.getUint32(24, true) < 1) return none;
  const at = v.getUint32(44, true);
  if (at + 8 > stream.length) return none;
  const count = v.getUint32(at + 4, true);
  const props = new Map<number, number>();
  for (let i = 0; i < count && at + 8 + 8 * i + 8 <= stream.length; i++) props.set(v.getUint32(at + 8 + 8 * i, true), at + v.getUint32(at + 12 + 8 * i, true));
  const cpAt = props.get(1);
  const codePage = cpAt !== undefined && cpAt + 6 <= stream.length && v.getUint32(cpAt, true) === VT_I2 ? v.getUint16(cpAt + 4, true) : 1252;
  const text = (id: number): string | null => {
    const p = props.get(id);
    if (p === undefined || p + 8 > stream.length) return null;
    const type = v.getUint32(p, true);
    const n = v.getUint32(p + 4, true);
    let s: string | null = null;
    if (type === VT_LPSTR && p + 8 + n <= stream.length) s = decodeCodePage(stream.subarray(p + 8, p + 8 + n), codePage);
    if (type === VT_LPWSTR && p + 8 + 2 * n <= stream.length) s = Buffer.from(stream.subarray(p + 8, p + 8 + 2 * n)).toString("utf16le");
    const clean = s?.replace(/\0[\s\S]*$/, "").replace(/\s+/g, " ").trim();
    return clean || null;
  };
  return { title: text(2), author: text(4) };
}

/** Bytes in a Windows code page (1200: UTF-16 LE; 65001: UTF-8). */
function decodeCodePage(b: Uint8Array, codePage: number): string {
  if (codePage === 1200) return Buffer.from(b).toString("utf16le");
  if (codePage === 65001) return new TextDecoder().decode(b);
  if (codePage === 1252 || codePage === 0) return decode1252(b);
  const label = CODE_PAGES[codePage] ?? (codePage >= 1250 && codePage <= 1258 ? `windows-${codePage}` : codePage >= 28591 && codePage <= 28606 ? `iso-8859-${codePage - 28590}` : null);
  return decodedAs(b, label) ?? decode1252(b);
}

/** Windows code pages by the names a TextDecoder knows them by. */
const CODE_PAGES: Record<number, string> = { 874: "windows-874", 932: "shift_jis", 936: "gbk", 949: "euc-kr", 950: "big5", 10000: "macintosh", 20866: "koi8-r", 21866: "koi8-u", 54936: "gb18030" };
