#include "model/synthetic_model.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <iterator>
#include <vector>

#include "common/error.h"
#include "cpu/quant.h"
#include "cpu/thread_pool.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace tome {

namespace {

struct Shape {
  int n_layer, n_embd, n_head, n_head_kv, n_ff, n_ctx;
  float rope_base;
  bool tied;
  float llama3_rope_factor;  // > 0: write rope_freqs as Llama 3.1/3.2 do
  int head_dim = 0;          // > 0: attention.key_length, so that Q is not n_embd wide
};

Shape shape_of(const std::string& name, const std::string& arch) {
  const bool qwen = arch == "qwen2" || arch == "qwen3" || arch == "qwen3moe" || arch == "qwen2moe";
  if (name == "tiny" && arch == "phi3") return {2, 512, 4, 2, 512, 4096, 10000.0f, false, 0};
  if (name == "tiny" && arch == "gemma3") return {2, 256, 4, 2, 512, 4096, 1e6f, true, 0, 128};
  // four layers, so that the last rotates nothing (SmolLM3's every fourth)
  if (name == "tiny" && arch == "smollm3") return {4, 256, 4, 2, 512, 4096, 10000.0f, false, 0};
  // cohere2: four layers (3 sliding-window ones, then a global one), tied output as Command R7B
  if (name == "tiny" && arch == "cohere2") return {4, 256, 4, 2, 512, 4096, 10000.0f, true, 0};
  // olmo2: four layers too, OLMo 3's 3 window layers and a global one; minicpm four, so that
  // its default residual multiplier (1.4 / sqrt(layers)) is 0.7
  if (name == "tiny" && (arch == "olmo2" || arch == "minicpm")) return {4, 256, 4, 2, 512, 4096, 10000.0f, false, 0};
  // gpt-oss: four layers, window and global ones in turn (its every other one)
  if (name == "tiny" && arch == "gpt-oss") return {4, 256, 4, 2, 512, 4096, 10000.0f, false, 0};
  if (name == "tiny") return {2, 256, 4, 2, 512, 4096, qwen ? 1e6f : 10000.0f, false, 0};
  if (name == "tiny-narrow-q") return {2, 512, 4, 2, 512, 4096, qwen ? 1e6f : 10000.0f, false, 0, 64};
  if (name == "smol") return {30, 576, 9, 3, 1536, 131072, qwen ? 1e6f : 100000.0f, true, 0};
  if (name == "1b") return {16, 2048, 32, 8, 8192, 131072, qwen ? 1e6f : 500000.0f, true, qwen ? 0.0f : 32.0f};
  if (name == "8b") return {32, 4096, 32, 8, 14336, 131072, qwen ? 1e6f : 500000.0f, false, qwen ? 0.0f : 8.0f};
  // Qwen3-30B-A3B's layer (2048 wide, 32 heads of 128, 4 KV heads, experts 768 wide) for
  // qwen3moe only; 12 of its 48 layers (see write_synthetic_model for its experts)
  if (name == "a3b" && arch == "qwen3moe") return {12, 2048, 32, 4, 1536, 40960, 1e6f, false, 0.0f, 128};
  throw Error("BAD_ARGUMENT", "unknown shape '" + name + "' (tiny, tiny-narrow-q, smol, 1b, 8b; a3b for qwen3moe)");
}

// SplitMix64: a small, seedable generator; one stream per tensor row so rows
// can be generated in parallel and the result never depends on thread count.
struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  // Standard normal by Box-Muller.
  float normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
};

uint64_t hash_name(const std::string& s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

GgmlType fit_type(GgmlType t, int64_t cols) {
  const GgmlTypeTraits* tr = ggml_type_traits(t);
  if (cols % tr->block_size == 0) return t;
  switch (t) {
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::IQ4_XS: return GgmlType::IQ4_NL;
    case GgmlType::Q4_K: return GgmlType::Q5_0;
    case GgmlType::Q5_K: return GgmlType::Q5_1;
    case GgmlType::Q6_K: return GgmlType::Q8_0;
    default: return GgmlType::F16;
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Llama 3.1-style frequency factors (n_rot/2): long wavelengths are slowed by
// `factor`, short ones kept, a smooth blend between (low 1, high 4, original 8192).
std::vector<float> llama3_rope_factors(int n_rot, float base, float factor) {
  const float low_freq_factor = 1.0f, high_freq_factor = 4.0f, old_ctx = 8192.0f;
  const float low_wavelen = old_ctx / low_freq_factor, high_wavelen = old_ctx / high_freq_factor;
  std::vector<float> f(size_t(n_rot / 2));
  for (int i = 0; i < n_rot / 2; ++i) {
    const float freq = 1.0f / std::pow(base, float(2 * i) / float(n_rot));
    const float wavelen = 2.0f * float(M_PI) / freq;
    if (wavelen < high_wavelen) f[size_t(i)] = 1.0f;
    else if (wavelen > low_wavelen) f[size_t(i)] = factor;
    else {
      const float smooth = (old_ctx / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
      f[size_t(i)] = 1.0f / ((1 - smooth) / factor + smooth);
    }
  }
  return f;
}

// Each architecture's own metadata (its windows, multipliers, RoPE scaling), `a` its key prefix.
void write_arch_keys(GgufWriter& w, const SyntheticModelSpec& spec, const std::string& a, uint32_t mistral3_orig) {
  const bool tiny = spec.shape == "tiny";
  if (spec.arch == "cohere2") {  // Command R7B's window layout (4096, 3 of 4; 16 in tiny) and a logit multiplier
    w.set_u32(a + "attention.sliding_window", tiny ? 16 : 4096);
    w.set_u32(a + "attention.sliding_window_pattern", 4);
    w.set_f32(a + "logit_scale", 0.25f);
  }
  if (spec.arch == "olmo2") {  // OLMo 3's window layers, 3 of 4 (4096; 16 in tiny, which 48 tokens slide past)
    w.set_u32(a + "attention.sliding_window", tiny ? 16 : 4096);
    w.set_u32(a + "attention.sliding_window_pattern", 4);
  }
  if (spec.arch == "exaone4") {
    // sliding-window layers, 3 of 4, as EXAONE 4.0 32B's: llama.cpp (and tome) apply them to
    // a 64-layer model only (--layers 64), with a window of 16 in the tiny shape
    w.set_u32(a + "attention.sliding_window", tiny ? 16 : 4096);
    w.set_u32(a + "attention.sliding_window_pattern", 4);
  }
  if (spec.arch == "gpt-oss")  // gpt-oss's window of 128 on every other layer (16 in tiny)
    w.set_u32(a + "attention.sliding_window", tiny ? 16 : 128);
  if (spec.arch == "hunyuan-dense") {
    // an NTK alpha, which llama.cpp applies to the base on load (converted Hunyuan files carry
    // the raised base instead; this tests the rule): 10000 * 4^(d / (d - 2))
    w.set_f32(a + "rope.scaling.alpha", 4.0f);
  }
  if (spec.arch == "granite" || spec.arch == "granitemoe") {
    // Granite 3.x 2B's embedding and residual multipliers; its attention one (1/64) and logit
    // divisor (8) would leave random weights' attention flat and logits small, so that no
    // test could tell the context apart: 1/4 (neither 1 nor 1/sqrt(head_dim)) and 2
    w.set_f32(a + "logit_scale", 2.0f);
    w.set_f32(a + "residual_scale", 0.22f);
    w.set_f32(a + "embedding_scale", 12.0f);
    w.set_f32(a + "attention.scale", 0.25f);
  }
  if (spec.arch == "mistral3") {  // Ministral 3's: YaRN x16 with its own keys, the attention temperature 0.1
    w.set_string(a + "rope.scaling.type", "yarn");
    w.set_f32(a + "rope.scaling.factor", 16.0f);
    w.set_u32(a + "rope.scaling.original_context_length", mistral3_orig);
    w.set_f32(a + "rope.scaling.yarn_beta_fast", 32.0f);
    w.set_f32(a + "rope.scaling.yarn_beta_slow", 1.0f);
    w.set_f32(a + "rope.scaling.yarn_log_multiplier", 1.0f);
    w.set_f32(a + "attention.temperature_scale", 0.1f);
  }
  if (spec.arch == "gemma3") {
    // sliding-window layers (tiny: every other one, a window of 16 that a 48-token test
    // slides past; else Gemma 3's 5 of 6 with 1024), the global layers' RoPE scaled
    // linearly by 8 as Gemma 3 4B-27B's are (the local ones unscaled, base 10000);
    // tiny also caps its logits (llama.cpp reads final_logit_softcapping for gemma3)
    w.set_u32(a + "attention.sliding_window", tiny ? 16 : 1024);
    w.set_u32(a + "attention.sliding_window_pattern", tiny ? 2 : 6);
    w.set_string(a + "rope.scaling.type", "linear");
    w.set_f32(a + "rope.scaling.factor", 8.0f);
    if (tiny) w.set_f32(a + "final_logit_softcapping", 10.0f);  // curves its logits (a few units) without flattening them
  }
}

// The tensors of an architecture's layers, as llama.cpp loads them.
struct TensorLayout {
  bool attn_norm = true, ffn_norm = true;  // norms before the attention and the FFN
  const char* ffn_norm_name = "ffn_norm.weight";
  bool post_norms = false;       // post_attention_norm and post_ffw_norm (gemma3's sandwich)
  bool fused_qkv = false;        // one attn_qkv (Q, K, V rows)
  bool fused_qkv_bias = false;   // attn_qkv.bias
  bool qkv_bias = false;         // attn_q/k/v.bias
  bool out_bias = false;         // attn_output.bias
  bool norm_biases = false;      // attn_norm.bias, ffn_norm.bias, output_norm.bias, output.bias (phimoe)
  bool qk_norm = false;          // attn_q_norm, attn_k_norm: head_dim wide
  bool qk_norm_whole = false;    //   ... q_dim and kv_dim wide (one norm across the heads)
  bool fused_gate_up = false;    // one ffn_up of 2 n_ff rows, gate first
  bool gated = true;             // an ffn_gate (arcee: none)
  int rot_quarters = 4;          // rope.dimension_count: head_dim * rot_quarters / 4
  bool experts = false;          // may be written with experts (llama only when asked)
  int default_experts = 0;       // experts when unasked
  bool experts_half = false;     // experts n_ff / 2 wide (expert_feed_forward_length)
  bool ernie_moe = false;        // a dense first layer, a selection bias, a shared expert
  bool oai = false;              // gpt-oss: attention sinks, the router's and the experts' biases
  bool gated_shexp = false;      // qwen2moe: a shared expert behind ffn_gate_inp_shexp
  float embed_stddev = 1.0f;     // token_embd's rows, against the embeddings' multipliers
};

TensorLayout layout_of(const std::string& arch, float lin) {
  TensorLayout t;
  if (arch == "qwen2" || arch == "seed_oss") t.qkv_bias = true;
  if (arch == "seed_oss") t.ffn_norm_name = "post_attention_norm.weight";
  if (arch == "qwen3" || arch == "qwen3moe" || arch == "gemma3" || arch == "exaone4" || arch == "hunyuan-dense") t.qk_norm = true;
  if (arch == "phi3") t.fused_qkv = t.fused_gate_up = true, t.rot_quarters = 3;
  if (arch == "chatglm") t.fused_qkv = t.fused_qkv_bias = t.fused_gate_up = true, t.rot_quarters = 2;
  if (arch == "glm4") t.qkv_bias = t.fused_gate_up = t.post_norms = true, t.rot_quarters = 2;
  if (arch == "gemma3") t.post_norms = true;
  if (arch == "exaone4") t.attn_norm = t.ffn_norm = false, t.post_norms = true;
  if (arch == "olmo2") t.attn_norm = t.ffn_norm = false, t.post_norms = t.qk_norm_whole = true;
  if (arch == "cohere2") t.ffn_norm = false;
  // optional in llama.cpp's mistral3 (and llama) graph; its ernie4_5 graph loads one and adds nothing
  if (arch == "mistral3") t.out_bias = true;
  if (arch == "arcee") t.gated = false;
  if (arch == "phimoe") t.qkv_bias = t.out_bias = t.norm_biases = true;
  if (arch == "llama") t.experts = true;
  if (arch == "qwen3moe" || arch == "granitemoe" || arch == "ernie4_5-moe" || arch == "phimoe")
    t.experts = true, t.default_experts = 8;
  if (arch == "qwen3moe" || arch == "ernie4_5-moe") t.experts_half = true;
  if (arch == "ernie4_5-moe") t.ernie_moe = true;
  if (arch == "qwen2moe") t.qkv_bias = t.experts = t.experts_half = t.gated_shexp = true, t.default_experts = 8;
  if (arch == "gpt-oss") {
    t.qkv_bias = t.out_bias = t.oai = t.experts = t.experts_half = true;
    t.default_experts = 8;
    t.ffn_norm_name = "post_attention_norm.weight";
  }
  // gemma3 scales its embeddings up by sqrt(n_embd) and ties its output to them: small rows,
  // as Gemma's are, keep both the residual stream and the logits of the usual size (cohere2
  // ties its output too); granite and minicpm scale them up by 12: rows of 1/12, so that the
  // layers' outputs, scaled down by the residual multiplier, still move the residual stream
  if (arch == "gemma3" || arch == "cohere2") t.embed_stddev = 2.0f * lin;
  if (arch == "granite" || arch == "granitemoe" || arch == "minicpm") t.embed_stddev = 1.0f / 12;
  return t;
}

// The architectures the writer knows.
constexpr const char* kArchs[] = {"llama",    "qwen2",   "qwen3",    "phi3",    "gemma3",  "qwen3moe",
                                  "smollm3",  "mistral3", "granite", "ernie4_5", "chatglm", "exaone4",
                                  "cohere2",  "internlm2", "hunyuan-dense", "granitemoe", "olmo2", "ernie4_5-moe",
                                  "arcee",    "glm4",      "exaone",        "seed_oss",
                                  "minicpm",  "phimoe",    "gpt-oss",       "qwen2moe"};

}  // namespace

WeightTypeName parse_weight_type(const std::string& name) {
  static const std::pair<const char*, KQuantMix> kMixes[] = {
      {"q3_k_m", KQuantMix::kQ3_K_M}, {"q4_k_m", KQuantMix::kQ4_K_M}, {"q5_k_m", KQuantMix::kQ5_K_M}};
  static const std::pair<const char*, GgmlType> kNames[] = {
      {"f32", GgmlType::F32},   {"f16", GgmlType::F16},   {"bf16", GgmlType::BF16},
      {"q8_0", GgmlType::Q8_0}, {"q4_0", GgmlType::Q4_0}, {"q5_0", GgmlType::Q5_0},
      {"q4_1", GgmlType::Q4_1}, {"q5_1", GgmlType::Q5_1}, {"q2_k", GgmlType::Q2_K}, {"q3_k", GgmlType::Q3_K}, {"q4_k", GgmlType::Q4_K},
      {"q5_k", GgmlType::Q5_K}, {"q6_k", GgmlType::Q6_K}, {"iq4_nl", GgmlType::IQ4_NL},
      {"iq4_xs", GgmlType::IQ4_XS}, {"mxfp4", GgmlType::MXFP4}};
  const std::string n = lower(name);
  for (auto& [k, t] : kNames)
    if (n == k) return {t, KQuantMix::kNone};
  for (auto& [k, m] : kMixes)
    if (n == k) return {kquant_mix_base(m), m};
  std::string names;
  for (auto& [k, t] : kNames) names += std::string(names.empty() ? "" : ", ") + k;
  for (auto& [k, m] : kMixes) names += std::string(", ") + k;
  throw Error("BAD_ARGUMENT", "unknown weight type '" + name + "' (" + names + ")");
}

void write_synthetic_model(const SyntheticModelSpec& spec, ThreadPool& pool) {
  if (std::find(std::begin(kArchs), std::end(kArchs), spec.arch) == std::end(kArchs)) {
    std::string names;
    for (const char* k : kArchs) names += std::string(names.empty() ? "" : ", ") + k;
    throw Error("BAD_ARGUMENT", "unknown arch '" + spec.arch + "' (" + names + ")");
  }
  const bool phi3 = spec.arch == "phi3", gemma3 = spec.arch == "gemma3", mistral3 = spec.arch == "mistral3";
  const bool minicpm = spec.arch == "minicpm";
  Shape s = shape_of(spec.shape, spec.arch);
  const float lin = 1.0f / std::sqrt(float(s.n_embd));
  const TensorLayout t = layout_of(spec.arch, lin);
  if (spec.shared_expert && spec.arch != "granitemoe")
    throw Error("BAD_ARGUMENT", "a shared expert is written for granitemoe only (ernie4_5-moe always has one)");
  if (spec.experts < 0 || spec.experts > 256 || spec.experts_used < 0)
    throw Error("BAD_ARGUMENT", "experts out of range (0..256)");
  if (spec.experts > 0 && !t.experts)
    throw Error("BAD_ARGUMENT", "experts are written for llama, qwen3moe, qwen2moe, granitemoe, ernie4_5-moe, phimoe and gpt-oss only");
  // a3b: 16 of Qwen3-30B-A3B's 128 experts, 8 a token as there: a token's work is the
  // model's, its file an eighth of the experts' bytes
  const bool a3b = spec.shape == "a3b";
  const int n_expert = spec.experts > 0 ? spec.experts : a3b ? 16 : t.default_experts;
  const int n_expert_used = spec.experts_used > 0 ? spec.experts_used : a3b ? 8 : 2;
  if (n_expert > 0 && n_expert_used > n_expert)
    throw Error("BAD_ARGUMENT", "experts_used is more than the experts");
  if (gemma3 && spec.yarn_factor > 0) throw Error("BAD_ARGUMENT", "YaRN is not written for gemma3");
  if (mistral3 && spec.yarn_factor > 0) throw Error("BAD_ARGUMENT", "mistral3 writes its own YaRN (x16)");
  // (minicpm: MiniCPM4's LongRoPE; its multipliers are left to their defaults)
  if (spec.longrope && !phi3 && !minicpm) throw Error("BAD_ARGUMENT", "LongRoPE is written for phi3 and minicpm only");
  if (spec.layers < 0 || spec.layers > 256) throw Error("BAD_ARGUMENT", "layers out of range (0..256)");
  if (spec.layers > 0) s.n_layer = spec.layers;
  if (spec.type != GgmlType::F32 && !can_quantize(spec.type))
    throw Error("BAD_ARGUMENT", std::string("cannot write weights of type ") + ggml_type_name(uint32_t(spec.type)));

  auto vocab = GgufFile::open(spec.vocab_path);
  const GgufValue* tokens = vocab->get_array("tokenizer.ggml.tokens");
  if (!tokens || tokens->strs.empty())
    throw Error("BAD_ARGUMENT", "'" + spec.vocab_path + "' has no tokenizer.ggml.tokens");
  const int64_t n_vocab = int64_t(tokens->strs.size());

  GgufWriter w;
  const std::string a = spec.arch + ".";
  const int head_dim = s.head_dim > 0 ? s.head_dim : s.n_embd / s.n_head;
  const int n_rot = head_dim * t.rot_quarters / 4;
  const int n_ctx_orig = 256;  // LongRoPE's original context
  w.set_string("general.architecture", spec.arch);
  // llama.cpp gives a model named like Phi-3 Phi-3's token attributes, and fails on a
  // vocabulary without Phi-3's tokens: the name of a phi3 model does not say phi3
  const std::string arch_label = phi3 ? "phi-three" : gemma3 ? "gemma-three" : spec.arch;
  const std::string type_label = lower(ggml_type_name(uint32_t(spec.type))) + (spec.mix != KQuantMix::kNone ? "_m" : "");
  w.set_string("general.name", "tome synthetic " + arch_label + " " + spec.shape + " " + type_label);
  w.set_u64("general.seed", spec.seed);
  if (spec.mix != KQuantMix::kNone) w.set_u32("general.file_type", uint32_t(kquant_mix_file_type(spec.mix)));
  w.set_u32(a + "block_count", uint32_t(s.n_layer));
  // a YaRN model's context_length is its original one, as Qwen's GGUFs write it
  // (mistral3: the scaled one, as Ministral 3's; its original one is a sixteenth, and 16
  // in the tiny shape, so that a test's 48 tokens cross two steps of its temperature)
  const uint32_t mistral3_orig = spec.shape == "tiny" ? 16 : uint32_t(s.n_ctx / 16);
  w.set_u32(a + "context_length", mistral3 ? 16 * mistral3_orig
                                           : uint32_t(spec.yarn_factor > 0 ? float(s.n_ctx) / spec.yarn_factor : float(s.n_ctx)));
  w.set_u32(a + "embedding_length", uint32_t(s.n_embd));
  w.set_u32(a + "feed_forward_length", uint32_t(s.n_ff));
  w.set_u32(a + "attention.head_count", uint32_t(s.n_head));
  w.set_u32(a + "attention.head_count_kv", uint32_t(s.n_head_kv));
  w.set_u32(a + "rope.dimension_count", uint32_t(n_rot));
  if (s.head_dim > 0) {
    w.set_u32(a + "attention.key_length", uint32_t(head_dim));
    w.set_u32(a + "attention.value_length", uint32_t(head_dim));
  }
  w.set_f32(a + "rope.freq_base", s.rope_base);
  w.set_f32(a + (spec.arch == "cohere2" ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon"), 1e-5f);
  if (spec.yarn_factor > 0) {
    w.set_string(a + "rope.scaling.type", "yarn");
    w.set_f32(a + "rope.scaling.factor", spec.yarn_factor);
    w.set_u32(a + "rope.scaling.original_context_length", uint32_t(float(s.n_ctx) / spec.yarn_factor));
  }
  write_arch_keys(w, spec, a, mistral3_orig);
  if (spec.longrope) {
    w.set_string(a + "rope.scaling.type", "longrope");
    w.set_u32(a + "rope.scaling.original_context_length", uint32_t(n_ctx_orig));
    const double scale = double(s.n_ctx) / n_ctx_orig;
    w.set_f32(a + "rope.scaling.attn_factor", float(std::sqrt(1 + std::log(scale) / std::log(double(n_ctx_orig)))));
  }
  if (n_expert > 0) {
    w.set_u32(a + "expert_count", uint32_t(n_expert));
    w.set_u32(a + "expert_used_count", uint32_t(n_expert_used));
    if (t.experts_half) w.set_u32(a + "expert_feed_forward_length", uint32_t(s.n_ff / 2));
    if (t.ernie_moe || t.gated_shexp || spec.shared_expert)
      w.set_u32(a + "expert_shared_feed_forward_length", uint32_t(s.n_ff / 2));
    if (t.ernie_moe) {  // ERNIE 4.5 21B-A3B's layout: the first layer dense, every later one experts
      w.set_u32(a + "interleave_moe_layer_step", 1);
      w.set_u32(a + "leading_dense_block_count", 1);
    }
  }
  w.set_u32(a + "vocab_size", uint32_t(n_vocab));
  for (const GgufKV& kv : vocab->metadata())
    if (kv.key.rfind("tokenizer.", 0) == 0) w.set_value(kv.key, kv.value);

  // Every tensor is generated (and quantized) while being written, one at a time.
  // (stack > 0: that many matrices of rows x cols in one 3-D tensor, an expert's each)
  auto matrix = [&](const std::string& name, int64_t rows, int64_t cols, float stddev, int64_t stack = 0,
                    bool keep_f32 = false) {
    const GgmlType t = spec.type == GgmlType::F32 || keep_f32 ? GgmlType::F32
                       : spec.mix != KQuantMix::kNone ? fit_type(kquant_mix_type(spec.mix, name, s.n_layer, n_expert, s.tied), cols)
                                                      : fit_type(spec.type, cols);
    const size_t row_bytes = ggml_row_bytes(*ggml_type_traits(t), uint64_t(cols));
    const uint64_t seed = hash_name(name, spec.seed);
    std::vector<int64_t> dims = {cols, rows};
    if (stack > 0) {
      dims.push_back(stack);
      rows *= stack;
    }
    w.add_tensor_fill(name, t, dims, [=, &pool](uint8_t* dst, size_t nbytes) {
      pool.parallel_for(rows, [&](int64_t r0, int64_t r1, int) {
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
          SplitMix rng{seed + uint64_t(r) * 0x9E3779B97F4A7C15ull};
          for (auto& v : row) v = stddev * rng.normal();
          if (t == GgmlType::F32) std::memcpy(dst + size_t(r) * row_bytes, row.data(), row_bytes);
          else quantize_row(t, row.data(), dst + size_t(r) * row_bytes, cols);
        }
      });
    });
  };
  // Norm gains near 1 and biases near 0, still random so no code path is trivial.
  // (stack > 0: that many vectors in one 2-D tensor, an expert's each)
  auto vector = [&](const std::string& name, int64_t n, float mean, float stddev, int64_t stack = 0) {
    const int64_t total = n * std::max<int64_t>(1, stack);
    std::vector<uint8_t> bytes(size_t(total) * 4);
    SplitMix rng{hash_name(name, spec.seed)};
    for (int64_t i = 0; i < total; ++i) {
      float v = mean + stddev * rng.normal();
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    }
    w.add_tensor_owned(name, GgmlType::F32, stack > 0 ? std::vector<int64_t>{n, stack} : std::vector<int64_t>{n},
                       std::move(bytes));
  };

  const int64_t E = s.n_embd, Q = int64_t(s.n_head) * head_dim, KV = int64_t(s.n_head_kv) * head_dim, F = s.n_ff;
  matrix("token_embd.weight", n_vocab, E, t.embed_stddev);
  vector("output_norm.weight", E, 1.0f, 0.1f);
  if (t.norm_biases) vector("output_norm.bias", E, 0.0f, 0.1f);
  if (!s.tied) matrix("output.weight", n_vocab, E, 2.0f * lin);
  if (t.norm_biases) vector("output.bias", n_vocab, 0.0f, 0.1f);
  if (spec.longrope) {
    // short factors near 1; long ones rising from 1 to the context's scale over the pairs
    // (the slowest-turning pairs stretched the most), jittered so no pair is trivial
    const int half = n_rot / 2;
    const float scale = float(s.n_ctx) / float(n_ctx_orig);
    std::vector<uint8_t> shorts(static_cast<size_t>(half) * 4), longs(static_cast<size_t>(half) * 4);
    SplitMix rng{hash_name("longrope", spec.seed)};
    for (int i = 0; i < half; ++i) {
      const float f_short = 1.0f + 0.05f * float(rng.uniform());
      const float f_long = 1.0f + (scale - 1.0f) * float(i) / float(half - 1) * (0.9f + 0.2f * float(rng.uniform()));
      std::memcpy(shorts.data() + 4 * i, &f_short, 4);
      std::memcpy(longs.data() + 4 * i, &f_long, 4);
    }
    w.add_tensor_owned("rope_factors_short.weight", GgmlType::F32, {half}, std::move(shorts));
    w.add_tensor_owned("rope_factors_long.weight", GgmlType::F32, {half}, std::move(longs));
  }
  if (s.llama3_rope_factor > 0) {
    std::vector<float> f = llama3_rope_factors(head_dim, s.rope_base, s.llama3_rope_factor);
    std::vector<uint8_t> bytes(f.size() * 4);
    std::memcpy(bytes.data(), f.data(), bytes.size());
    w.add_tensor_owned("rope_freqs.weight", GgmlType::F32, {int64_t(f.size())}, std::move(bytes));
  }
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    if (t.attn_norm) vector(p + "attn_norm.weight", E, 1.0f, 0.1f);
    if (t.norm_biases) vector(p + "attn_norm.bias", E, 0.0f, 0.1f);
    if (t.fused_qkv) {
      matrix(p + "attn_qkv.weight", Q + 2 * KV, E, lin);  // Q, K, V rows
      if (t.fused_qkv_bias) vector(p + "attn_qkv.bias", Q + 2 * KV, 0.0f, 0.1f);
    } else {
      matrix(p + "attn_q.weight", Q, E, lin);
      matrix(p + "attn_k.weight", KV, E, lin);
      matrix(p + "attn_v.weight", KV, E, lin);
    }
    matrix(p + "attn_output.weight", E, Q, 1.0f / std::sqrt(float(Q)));
    if (t.out_bias) vector(p + "attn_output.bias", E, 0.0f, 0.1f);
    if (t.qkv_bias) {
      vector(p + "attn_q.bias", Q, 0.0f, 0.1f);
      vector(p + "attn_k.bias", KV, 0.0f, 0.1f);
      vector(p + "attn_v.bias", KV, 0.0f, 0.1f);
    }
    if (t.oai) vector(p + "attn_sinks.weight", s.n_head, 0.0f, 1.0f);  // sink logits of the scores' size
    if (t.qk_norm || t.qk_norm_whole) {
      vector(p + "attn_q_norm.weight", t.qk_norm_whole ? Q : head_dim, 1.0f, 0.1f);
      vector(p + "attn_k_norm.weight", t.qk_norm_whole ? KV : head_dim, 1.0f, 0.1f);
    }
    if (t.post_norms) vector(p + "post_attention_norm.weight", E, 1.0f, 0.1f);
    if (t.ffn_norm) vector(p + t.ffn_norm_name, E, 1.0f, 0.1f);
    if (t.norm_biases) vector(p + "ffn_norm.bias", E, 0.0f, 0.1f);
    if (n_expert > 0 && !(t.ernie_moe && l == 0)) {
      const int64_t FX = t.experts_half ? F / 2 : F;
      matrix(p + "ffn_gate_inp.weight", n_expert, E, 2.0f * lin, 0, true);
      // a selection bias of the size of the differences between 8 experts' probabilities
      if (t.ernie_moe) vector(p + "exp_probs_b.bias", n_expert, 0.0f, 0.05f);
      matrix(p + "ffn_gate_exps.weight", FX, E, lin, n_expert);
      matrix(p + "ffn_up_exps.weight", FX, E, lin, n_expert);
      matrix(p + "ffn_down_exps.weight", E, FX, 1.0f / std::sqrt(float(FX)), n_expert);
      if (t.oai) {
        vector(p + "ffn_gate_inp.bias", n_expert, 0.0f, 0.1f);
        // gate and up biases wide enough that swiglu_oai's limit (7) clamps some of them
        vector(p + "ffn_gate_exps.bias", FX, 0.0f, 4.0f, n_expert);
        vector(p + "ffn_up_exps.bias", FX, 0.0f, 4.0f, n_expert);
        vector(p + "ffn_down_exps.bias", E, 0.0f, 0.1f, n_expert);
      }
      // qwen2moe's gate: a logit of a few units, so the sigmoid spans its range
      if (t.gated_shexp) vector(p + "ffn_gate_inp_shexp.weight", E, 0.0f, 2.0f * lin);
      if (t.ernie_moe || t.gated_shexp || spec.shared_expert) {
        matrix(p + "ffn_gate_shexp.weight", F / 2, E, lin);
        matrix(p + "ffn_up_shexp.weight", F / 2, E, lin);
        matrix(p + "ffn_down_shexp.weight", E, F / 2, 1.0f / std::sqrt(float(F / 2)));
      }
      continue;
    }
    if (t.fused_gate_up) {
      matrix(p + "ffn_up.weight", 2 * F, E, lin);  // gate rows, then up rows
    } else {
      if (t.gated) matrix(p + "ffn_gate.weight", F, E, lin);
      matrix(p + "ffn_up.weight", F, E, lin);
    }
    matrix(p + "ffn_down.weight", E, F, 1.0f / std::sqrt(float(F)));
    if (t.post_norms) vector(p + "post_ffw_norm.weight", E, 1.0f, 0.1f);
  }
  w.write_to_file(spec.out_path);
}

}  // namespace tome
