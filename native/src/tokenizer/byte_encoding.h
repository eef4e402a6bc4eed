// GPT-2's reversible byte <-> code point map: byte-level BPE vocabularies spell
// every byte as a printable code point (space = U+0120 'Ġ', newline = U+010A 'Ċ').
// Bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF map to themselves; the other 68
// bytes map, in byte order, to U+0100, U+0101, ...
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace tome::bytes {

// UTF-8 of the code point standing for byte b.
const std::string& byte_to_utf8(uint8_t b);
// The byte a code point stands for, or -1 when it stands for none.
int utf8_cp_to_byte(uint32_t cp);

// Every byte of `raw` replaced by its code point's UTF-8 (the form BPE merges see).
std::string encode(std::string_view raw);

}  // namespace tome::bytes
