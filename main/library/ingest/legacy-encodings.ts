// Plain-text books in the encodings that came before UTF-8 for the languages
// whose letters Windows-1252 does not have: GB18030/GBK (simplified Chinese:
// the usual encoding of Chinese web novels' .txt files), Big5 (traditional
// Chinese), Shift_JIS and EUC-JP (Japanese), EUC-KR (Korean), Windows-1251
// and KOI8-R (Cyrillic); and UTF-16 without a byte order mark in those scripts
// (few zero bytes, so decode.ts's test of ASCII-range UTF-16 misses it). Read as
// Windows-1252 such a book would be mojibake from its first line.
//
// Told apart by what decodes to the language's commonest characters: each
// candidate must decode the first 64 KiB without an error (a multi-byte
// decoder refuses most other text: a Western accented letter before a space is
// not a valid pair), and the share of its non-ASCII characters that are among
// its language's most frequent ones (hanzi, hiragana, hangul syllables,
// Russian letters) must be high, where the same bytes read as another CJK
// encoding give rare characters. Decoders a runtime lacks (a Node built
// without full ICU) are skipped.

export type LegacyEncoding = "gb18030" | "big5" | "shift_jis" | "euc-jp" | "euc-kr" | "windows-1251" | "koi8-r";

/** The commonest hanzi of running text, in simplified and traditional forms (each ~1/3 of Chinese text). */
const HANZI_SIMPLIFIED =
  "的一是不了人我在有他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开";
const HANZI_TRADITIONAL =
  "的一是不了人我在有他這個們中來上大為和國地到以說時要就出會可也你對生能而子那得於著下自之年過發後作裡用道行所然家種事成方多經麼去法學如都同現當沒動面起看定天分還進好小部其些主樣理心她本前開";
/** The commonest hangul syllables of Korean text. */
const HANGUL = "이다는의에가하고을를지기리서사한도자로나어수해들대그으있것아정시인일게면만라장과적부여보전주상요우와했니던없습";
/** The commonest lowercase letters of Russian text (~3/4 of its letters). */
const RUSSIAN = "оеаинтсрвлкмдпу";

const chinese = new Set([...HANZI_SIMPLIFIED, ...HANZI_TRADITIONAL]);
const korean = new Set(HANGUL);
const isHiragana = (c: number) => c >= 0x3041 && c <= 0x309f;

type Language = "chinese" | "japanese" | "korean";
const LANGUAGE_OF: Record<"gb18030" | "big5" | "shift_jis" | "euc-jp" | "euc-kr", Language> = {
  gb18030: "chinese",
  big5: "chinese",
  "shift_jis": "japanese",
  "euc-jp": "japanese",
  "euc-kr": "korean",
};

/** Share of a sample's scored characters below which it is not taken for the language. */
const MIN_SHARE = 0.12;
/** Scored characters a sample needs before its share means anything. */
const MIN_SCORED = 32;
const SAMPLE = 64 * 1024;

/** Whether the characters of `text` read as `language`: the share of its commonest characters. */
function share(text: string, language: Language): number {
  let scored = 0;
  let common = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    // ASCII, CJK punctuation and full-width forms say nothing of the language
    if (c < 0x80 || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xffef)) continue;
    scored++;
    if (language === "chinese" ? chinese.has(ch) : language === "korean" ? korean.has(ch) : isHiragana(c)) common++;
  }
  return scored >= MIN_SCORED ? common / scored : 0;
}

/** The sample decoded by `encoding`, or null when it holds a byte sequence that encoding lacks (or the runtime lacks it). */
function decodeStrict(bytes: Uint8Array, encoding: string): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The first 64 KiB cut after its last byte under 0x30 (a control, space or ASCII punctuation),
 * which no multi-byte sequence of these encodings holds: so no character is cut in two.
 */
function sample(bytes: Uint8Array): Uint8Array {
  if (bytes.length <= SAMPLE) return bytes;
  let end = SAMPLE;
  while (end > SAMPLE / 2 && bytes[end - 1] >= 0x30) end--;
  return bytes.subarray(0, end);
}

/** The encoding whose decoding scored best (its language's share), if that share is clearly its language's. */
function best<E extends string>(scores: [E, number][]): E | null {
  scores.sort((a, b) => b[1] - a[1]);
  return scores.length > 0 && scores[0][1] >= MIN_SHARE ? scores[0][0] : null;
}

/** The legacy CJK encoding the bytes read as, or null. */
function cjkEncoding(bytes: Uint8Array): LegacyEncoding | null {
  const s = sample(bytes);
  const scores: [LegacyEncoding, number][] = [];
  for (const [enc, language] of Object.entries(LANGUAGE_OF) as [keyof typeof LANGUAGE_OF, Language][]) {
    const text = decodeStrict(s, enc);
    if (text !== null) scores.push([enc, share(text, language)]);
  }
  return best(scores);
}

/**
 * Windows-1251 or KOI8-R: most letters outside ASCII (a Western text in Windows-1252 has a few
 * accented ones among its ASCII letters), most of them Russian's commonest lowercase letters
 * when decoded by the one (lowercase is 0xE0-0xFF in Windows-1251, 0xC0-0xDF in KOI8-R).
 */
function cyrillicEncoding(bytes: Uint8Array): LegacyEncoding | null {
  const s = sample(bytes);
  let ascii = 0;
  let high = 0;
  for (const b of s) {
    if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) ascii++;
    else if (b >= 0xc0) high++;
  }
  if (high < MIN_SCORED || high < ascii) return null;
  const scores: [LegacyEncoding, number][] = [];
  for (const enc of ["windows-1251", "koi8-r"] as const) {
    const text = decodeStrict(s, enc);
    if (text === null) continue;
    let common = 0;
    for (const ch of text) if (RUSSIAN.includes(ch)) common++;
    scores.push([enc, common / high]);
  }
  return best(scores);
}

/** The legacy encoding of a text that is neither UTF-8 nor UTF-16, or null (then Windows-1252). */
export function legacyEncoding(bytes: Uint8Array): LegacyEncoding | null {
  return cjkEncoding(bytes) ?? cyrillicEncoding(bytes);
}

/** UTF-16 without a byte order mark holding Chinese, Japanese or Korean text, or null. */
export function cjkUtf16(bytes: Uint8Array): "utf-16le" | "utf-16be" | null {
  // not strict: the sample may end inside a surrogate pair
  const s = bytes.subarray(0, Math.min(bytes.length, SAMPLE) & ~1);
  const scores = (["utf-16le", "utf-16be"] as const).map((enc): ["utf-16le" | "utf-16be", number] => {
    const text = new TextDecoder(enc).decode(s);
    return [enc, Math.max(share(text, "chinese"), share(text, "japanese"), share(text, "korean"))];
  });
  return best(scores);
}
