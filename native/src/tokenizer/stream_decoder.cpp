// StreamDecoder: token pieces -> text, never cutting a UTF-8 character. A
// character split across byte tokens (e.g. an emoji as <0xF0><0x9F><0x98><0x80>)
// is held until its last byte arrives; bytes that can never form a character
// come out as U+FFFD.
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace tome {

std::string StreamDecoder::push(int32_t token) {
  pending_ += tok_.token_to_piece(token, render_special_);
  std::string out;
  const size_t used = utf8::append_valid_utf8(out, pending_, /*hold_tail=*/true);
  pending_.erase(0, used);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  utf8::append_valid_utf8(out, pending_, /*hold_tail=*/false);
  pending_.clear();
  return out;
}

}  // namespace tome
