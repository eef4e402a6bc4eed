#include "tokenizer/byte_encoding.h"

#include <array>

#include "tokenizer/utf8.h"

namespace tome::bytes {
namespace {

struct Tables {
  std::array<uint32_t, 256> cp_of_byte{};
  std::array<std::string, 256> utf8_of_byte;
  std::array<int16_t, 0x100 + 68> byte_of_cp{};  // -1: stands for no byte
  Tables() {
    auto printable = [](int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
    uint32_t next = 0x100;
    for (int b = 0; b < 256; ++b) cp_of_byte[b] = printable(b) ? uint32_t(b) : next++;
    for (int b = 0; b < 256; ++b) utf8::append_utf8(utf8_of_byte[b], cp_of_byte[b]);
    byte_of_cp.fill(-1);
    for (int b = 0; b < 256; ++b) byte_of_cp[cp_of_byte[b]] = int16_t(b);
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_utf8(uint8_t b) { return tables().utf8_of_byte[b]; }

int utf8_cp_to_byte(uint32_t cp) {
  const auto& t = tables();
  return cp < t.byte_of_cp.size() ? t.byte_of_cp[cp] : -1;
}

std::string encode(std::string_view raw) {
  const auto& t = tables();
  std::string out;
  out.reserve(raw.size() * 2);
  for (char c : raw) out += t.utf8_of_byte[uint8_t(c)];
  return out;
}

}  // namespace tome::bytes
