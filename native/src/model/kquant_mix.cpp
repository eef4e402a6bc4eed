#include "model/kquant_mix.h"

#include <cstdio>

namespace tome {

namespace {

bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

bool has(const std::string& name, const char* part) { return name.find(part) != std::string::npos; }

// N of "blk.N.", -1 for a tensor outside the layers.
int layer_of(const std::string& name) {
  int i = -1;
  return std::sscanf(name.c_str(), "blk.%d.", &i) == 1 ? i : -1;
}

}  // namespace

GgmlType kquant_mix_base(KQuantMix mix) {
  switch (mix) {
    case KQuantMix::kQ3_K_M: return GgmlType::Q3_K;
    case KQuantMix::kQ4_K_M: return GgmlType::Q4_K;
    case KQuantMix::kQ5_K_M: return GgmlType::Q5_K;
    case KQuantMix::kNone: break;
  }
  return GgmlType::F16;
}

int kquant_mix_file_type(KQuantMix mix) {
  switch (mix) {
    case KQuantMix::kQ3_K_M: return 12;
    case KQuantMix::kQ4_K_M: return 15;
    case KQuantMix::kQ5_K_M: return 17;
    case KQuantMix::kNone: break;
  }
  return -1;
}

GgmlType kquant_mix_type(KQuantMix mix, const std::string& name, int n_layer, int n_expert, bool tied_output) {
  const GgmlType base = kquant_mix_base(mix);
  if (mix == KQuantMix::kNone) return base;
  const bool q3 = mix == KQuantMix::kQ3_K_M;
  if (name == "output.weight" || (tied_output && name == "token_embd.weight")) return GgmlType::Q6_K;
  const int layer = layer_of(name);
  if (layer < 0) return base;
  // attn_v and a fused attn_qkv (llama.cpp's category_is_attn_v), counted per layer as
  // llama.cpp's i_attention_wv counts them in the file's order
  if (has(name, ".attn_v.") || has(name, ".attn_qkv.")) {
    if (n_expert == 8) return GgmlType::Q8_0;
    if (q3) return layer < 2 ? GgmlType::Q5_K : GgmlType::Q4_K;
    return use_more_bits(layer, n_layer) ? GgmlType::Q6_K : base;
  }
  if (has(name, ".attn_k.")) return n_expert == 8 ? GgmlType::Q8_0 : base;
  if (has(name, ".ffn_down")) {
    if (q3) return layer < n_layer / 16 ? GgmlType::Q5_K : GgmlType::Q4_K;
    return use_more_bits(layer, n_layer) ? GgmlType::Q6_K : base;
  }
  if (has(name, ".attn_output.")) {
    if (n_expert == 8 && mix != KQuantMix::kQ5_K_M) return GgmlType::Q5_K;
    return q3 ? GgmlType::Q4_K : base;
  }
  return base;
}

}  // namespace tome
