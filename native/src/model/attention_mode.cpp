#include "model/attention_mode.h"

#include "common/error.h"

namespace tome {

const char* attention_mode_name(AttentionMode m) {
  switch (m) {
    case AttentionMode::FULL: return "full";
    case AttentionMode::RETRIEVAL: return "retrieval";
    case AttentionMode::STREAMING: return "streaming";
    case AttentionMode::FLAT: return "flat";
    case AttentionMode::IVF: return "ivf";
  }
  return "?";
}

AttentionMode parse_attention_mode(const std::string& name) {
  for (AttentionMode m : {AttentionMode::FULL, AttentionMode::RETRIEVAL, AttentionMode::STREAMING,
                          AttentionMode::FLAT, AttentionMode::IVF})
    if (name == attention_mode_name(m)) return m;
  throw Error("BAD_ARGUMENT", "unknown attention mode '" + name + "' (full, retrieval, streaming, flat, ivf)");
}

}  // namespace tome
