#include "model/hparams.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>

#include "common/error.h"
#include "cpu/cpu_features.h"
#include "gguf/gguf_file.h"

namespace tome {

namespace {

int64_t require_int(const GgufFile& g, const std::string& key) {
  auto v = g.get_int(key);
  if (!v) throw Error("MODEL_HPARAMS", "missing metadata key '" + key + "'");
  return *v;
}

int checked_dim(int64_t v, const std::string& key, int64_t max) {
  if (v <= 0 || v > max)
    throw Error("MODEL_HPARAMS", "metadata '" + key + "' = " + std::to_string(v) + " is out of range (1.." +
                                     std::to_string(max) + ")");
  return int(v);
}

// How a file's experts are read: none (a file with expert_count is refused); optional and
// feed_forward_length wide (llama as Mixtral, granite's graph, phimoe); qwen3moe's keys
// (expert_feed_forward_length); ERNIE 4.5's (qwen3moe's keys, dense leading layers, a
// selection bias, a shared expert); gpt-oss's (qwen3moe's keys, biases, OpenAI's gating);
// qwen2moe's (qwen3moe's keys, a gated shared expert, weights as they are).
enum class Experts { NONE, FF_WIDE, OWN_WIDTH, ERNIE, OAI, QWEN2MOE };

// The architectures a GGUF may name, the graph tome runs for each (llama.cpp's: ernie4_5,
// internlm2, exaone and seed_oss are llama's, granitemoe and minicpm granite's, phimoe
// phi3's), the rotation llama.cpp gives it (NORM pairs adjacent dims, NEOX the two halves)
// and how its experts are read.
struct ArchName {
  const char* name;
  Arch arch;
  RopeStyle rope;
  Experts experts;
};
constexpr ArchName kArchNames[] = {
    {"llama", Arch::LLAMA, RopeStyle::NORM, Experts::FF_WIDE},
    {"qwen2", Arch::QWEN2, RopeStyle::NEOX, Experts::NONE},
    {"qwen3", Arch::QWEN3, RopeStyle::NEOX, Experts::NONE},
    {"phi3", Arch::PHI3, RopeStyle::NEOX, Experts::NONE},
    {"gemma3", Arch::GEMMA3, RopeStyle::NEOX, Experts::NONE},
    {"qwen3moe", Arch::QWEN3MOE, RopeStyle::NEOX, Experts::OWN_WIDTH},
    {"smollm3", Arch::SMOLLM3, RopeStyle::NORM, Experts::NONE},
    {"mistral3", Arch::MISTRAL3, RopeStyle::NORM, Experts::NONE},
    {"granite", Arch::GRANITE, RopeStyle::NORM, Experts::NONE},
    {"ernie4_5", Arch::LLAMA, RopeStyle::NORM, Experts::NONE},
    {"chatglm", Arch::CHATGLM, RopeStyle::NORM, Experts::NONE},
    {"exaone4", Arch::EXAONE4, RopeStyle::NEOX, Experts::NONE},
    {"cohere2", Arch::COHERE2, RopeStyle::NORM, Experts::NONE},
    {"internlm2", Arch::LLAMA, RopeStyle::NORM, Experts::NONE},
    {"hunyuan-dense", Arch::HUNYUAN_DENSE, RopeStyle::NEOX, Experts::NONE},
    {"granitemoe", Arch::GRANITE, RopeStyle::NORM, Experts::FF_WIDE},
    {"olmo2", Arch::OLMO2, RopeStyle::NEOX, Experts::NONE},
    {"ernie4_5-moe", Arch::LLAMA, RopeStyle::NORM, Experts::ERNIE},
    {"arcee", Arch::ARCEE, RopeStyle::NORM, Experts::NONE},
    {"glm4", Arch::GLM4, RopeStyle::NORM, Experts::NONE},
    {"exaone", Arch::LLAMA, RopeStyle::NEOX, Experts::NONE},
    {"seed_oss", Arch::LLAMA, RopeStyle::NEOX, Experts::NONE},
    {"minicpm", Arch::GRANITE, RopeStyle::NORM, Experts::FF_WIDE},
    {"phimoe", Arch::PHI3, RopeStyle::NEOX, Experts::FF_WIDE},
    {"gpt-oss", Arch::LLAMA, RopeStyle::NEOX, Experts::OAI},
    {"qwen2moe", Arch::QWEN2, RopeStyle::NEOX, Experts::QWEN2MOE},
};

// Sliding-window layers, llama.cpp's set_swa_pattern: every layer but each period-th attends
// its last n_swa positions. attention.sliding_window (default_window when unsaid, -1: required;
// 0: no window layers, the pattern unread) and attention.sliding_window_pattern
// (default_period when unsaid; a per-layer array is refused).
void read_window_layers(const GgufFile& g, const std::string& a, HParams& hp, int64_t default_window,
                        int64_t default_period) {
  const std::string window_key = a + "attention.sliding_window", pattern_key = a + "attention.sliding_window_pattern";
  const int64_t swa = default_window < 0 ? require_int(g, window_key) : g.get_int(window_key).value_or(default_window);
  if (swa < 0 || swa > (int64_t(1) << 30) || (swa == 0 && default_window < 0))
    throw Error("MODEL_HPARAMS", "attention.sliding_window out of range");
  hp.n_swa = int(swa);
  if (hp.n_swa == 0) return;
  if (g.find(pattern_key) && !g.get_int(pattern_key))
    throw Error("MODEL_HPARAMS", "attention.sliding_window_pattern as a per-layer array is not supported");
  const int64_t period = g.get_int(pattern_key).value_or(default_period);
  if (period < 0 || period > 4096) throw Error("MODEL_HPARAMS", "attention.sliding_window_pattern out of range");
  hp.swa_period = int(period);
}

// YaRN's keys that llama.cpp reads for some architectures only (mistral3 here), with
// its defaults for the others.
struct YarnKeys {
  float beta_fast = 32.0f, beta_slow = 1.0f;
  float log_mul = 0.0f;  // rope.scaling.yarn_log_multiplier (0: none)
};

YarnKeys read_yarn_keys(const GgufFile& g, const std::string& a) {
  YarnKeys k;
  k.beta_fast = float(g.get_float(a + "rope.scaling.yarn_beta_fast").value_or(k.beta_fast));
  k.beta_slow = float(g.get_float(a + "rope.scaling.yarn_beta_slow").value_or(k.beta_slow));
  k.log_mul = float(g.get_float(a + "rope.scaling.yarn_log_multiplier").value_or(0.0));
  if (!(k.beta_fast > 0 && k.beta_fast < 1e4 && k.beta_slow > 0 && k.beta_slow < 1e4))
    throw Error("MODEL_HPARAMS", "rope.scaling.yarn_beta_fast / yarn_beta_slow out of range");
  if (!(k.log_mul >= 0 && k.log_mul < 100))
    throw Error("MODEL_HPARAMS", "rope.scaling.yarn_log_multiplier out of range");
  return k;
}

// Ministral 3's attention temperature (Llama 4's): the scale, over steps of the original
// context (llama.cpp: n_attn_temp_floor_scale = n_ctx_orig_yarn).
void read_attn_temp(const GgufFile& g, const std::string& a, HParams& hp) {
  hp.attn_temp_scale = float(g.get_float(a + "attention.temperature_scale").value_or(0.0));
  if (!(hp.attn_temp_scale >= 0 && hp.attn_temp_scale < 100))
    throw Error("MODEL_HPARAMS", "attention.temperature_scale out of range");
  if (hp.attn_temp_scale != 0.0f) hp.attn_temp_floor = hp.n_ctx_orig;
}

// Granite's multipliers, as llama.cpp reads them (models/granite.cpp): logit_scale is
// required, the others optional (0: not applied). MiniCPM (models/minicpm.cpp, granite's
// graph) has defaults for the three it reads (its older files carry none): embeddings x12,
// residuals x1.4/sqrt(n_layer), logits / (256 / n_embd); no attention scale.
void read_granite(const GgufFile& g, const std::string& a, HParams& hp) {
  const bool minicpm = hp.arch_name == "minicpm";
  auto scale = [&](const char* key, bool required, float fallback) {
    const auto v = g.get_float(a + key);
    if (!v && required) throw Error("MODEL_HPARAMS", "missing metadata key '" + a + key + "'");
    if (!v) return fallback;
    const double x = *v;
    if (!(x >= 0 && x < 1e6) || (required && x == 0))
      throw Error("MODEL_HPARAMS", "metadata '" + a + key + "' out of range");
    return float(x);
  };
  const float logit_scale = scale("logit_scale", !minicpm, minicpm ? 256.0f / float(hp.n_embd) : 0.0f);
  if (logit_scale == 0.0f) throw Error("MODEL_HPARAMS", "metadata '" + a + "logit_scale' out of range");
  hp.logit_factor = 1.0f / logit_scale;  // as the graph computes it
  hp.residual_scale = scale("residual_scale", false, minicpm ? 1.4f / sqrtf(float(hp.n_layer)) : 0.0f);
  const float embedding = scale("embedding_scale", false, minicpm ? 12.0f : 0.0f);
  if (embedding != 0.0f) hp.embed_scale = embedding;
  if (minicpm) return;  // no attention scale; RoPE always on
  hp.attention_scale = scale("attention.scale", false, 0.0f);
  // rope.scaling.finetuned false turns RoPE off in llama.cpp's granite graph; only Granite's
  // hybrid converter writes it (granitehybrid, not run here), so no dense file tested has it
  if (!g.get_bool(a + "rope.scaling.finetuned").value_or(true))
    throw Error("MODEL_HPARAMS", "granite without RoPE (rope.scaling.finetuned false) is not supported");
}

// EXAONE 4.0's sliding-window layers, as llama.cpp sets them (models/exaone4.cpp): only for
// the 64-layer model (32B), 3 of 4 layers (sliding_window_pattern) over 4096 positions
// (sliding_window), rotating at the model's scale and base (or rope.freq_base_swa); its
// global layers rotate nothing. The other sizes attend every position in every layer.
void read_exaone4(const GgufFile& g, const std::string& a, HParams& hp) {
  if (hp.n_layer != 64) return;
  read_window_layers(g, a, hp, 4096, 4);
  hp.rope_freq_base_swa = float(g.get_float(a + "rope.freq_base_swa").value_or(hp.rope_freq_base));
  if (!(hp.rope_freq_base_swa > 1)) throw Error("MODEL_HPARAMS", "rope.freq_base_swa out of range");
  hp.rope_freq_scale_swa = hp.rope_freq_scale;
  hp.nope_global = true;
}

// OLMo 2 / OLMo 3, as llama.cpp runs them (models/olmo2.cpp): whole heads rotated; a
// sliding_window (OLMo 3's files) makes 3 layers of 4 (sliding_window_pattern) window
// layers, which rotate at the model's base (the graph leaves rope.freq_base_swa unused),
// unscaled and without YaRN; without one every layer attends every position.
void read_olmo2(const GgufFile& g, const std::string& a, HParams& hp) {
  if (hp.n_rot != hp.head_dim) throw Error("MODEL_HPARAMS", "olmo2 rotates whole heads: rope.dimension_count must be the head size");
  read_window_layers(g, a, hp, 0, 4);
  if (hp.n_swa == 0) return;
  hp.rope_freq_base_swa = hp.rope_freq_base;
  hp.rope_freq_scale_swa = 1.0f;
  hp.swa_plain_rope = true;
}

// Command R7B's keys, as llama.cpp reads them (models/cohere2.cpp): a sliding window on 3 layers
// of 4 (sliding_window required, sliding_window_pattern 4 when unsaid) rotating at the model's
// own base and scale (the graph leaves rope.freq_base_swa unused), global layers without RoPE,
// logits multiplied by logit_scale (required).
void read_cohere2(const GgufFile& g, const std::string& a, HParams& hp) {
  read_window_layers(g, a, hp, -1, 4);
  hp.rope_freq_base_swa = hp.rope_freq_base;
  hp.rope_freq_scale_swa = hp.rope_freq_scale;
  hp.nope_global = true;
  const auto scale = g.get_float(a + "logit_scale");
  if (!scale) throw Error("MODEL_HPARAMS", "missing metadata key '" + a + "logit_scale'");
  if (!(*scale > 0 && *scale < 1e6)) throw Error("MODEL_HPARAMS", "metadata '" + a + "logit_scale' out of range");
  hp.logit_factor = float(*scale);
}

// The vision-language models' sectioned RoPE (M-RoPE: rope.dimension_sections not all 0).
void refuse_rope_sections(const GgufFile& g, const std::string& a) {
  if (const GgufValue* s = g.get_array(a + "rope.dimension_sections"))
    for (int64_t n : s->ints)
      if (n != 0) throw Error("MODEL_HPARAMS", "sectioned RoPE (rope.dimension_sections) is not supported");
}

// Hunyuan dense: every head rotated whole (llama.cpp asserts it); rope.scaling.alpha > 0
// raises the base as llama.cpp does on load (converted files carry the raised base and no
// alpha); the VL models' sectioned RoPE (rope.dimension_sections) is not run.
void read_hunyuan_dense(const GgufFile& g, const std::string& a, HParams& hp) {
  if (hp.n_rot != hp.head_dim) throw Error("MODEL_HPARAMS", "hunyuan-dense rotates whole heads: rope.dimension_count must be the head size");
  refuse_rope_sections(g, a);
  const double alpha = g.get_float(a + "rope.scaling.alpha").value_or(0.0);
  if (!(alpha >= 0 && alpha < 1e6)) throw Error("MODEL_HPARAMS", "rope.scaling.alpha out of range");
  if (alpha > 0) {
    const float d = float(hp.head_dim);
    hp.rope_freq_base = hp.rope_freq_base * std::pow(float(alpha), d / (d - 2.0f));
    if (!std::isfinite(hp.rope_freq_base)) throw Error("MODEL_HPARAMS", "rope.scaling.alpha out of range");
  }
}

// YaRN's angles and magnitude as llama.cpp computes them (llama-context.cpp's
// cparams, ggml's ggml_rope_yarn_corr_dims and rope_yarn), in the same float
// operations, fused where its build fuses them (an FMA CPU), so the cos/sin
// tables are the same bits.
void set_yarn(HParams& hp, float attn_factor, const YarnKeys& keys) {
  const bool fused = cpu_features().fma;
  auto mul_add = [fused](float x, float y, float z) { return fused ? std::fma(x, y, z) : x * y + z; };
  const int n_ctx_orig = hp.n_ctx_orig;
  hp.yarn_ext_factor = 1.0f;  // llama.cpp's for YaRN (it reads no key for it on these architectures)
  const float beta_fast = keys.beta_fast, beta_slow = keys.beta_slow;
  auto corr_dim = [&](float n_rot) {
    return float(hp.n_rot) * logf(float(n_ctx_orig) / (n_rot * 2 * float(M_PI))) / (2 * logf(hp.rope_freq_base));
  };
  hp.yarn_corr_dims[0] = std::max(0.0f, floorf(corr_dim(beta_fast)));
  hp.yarn_corr_dims[1] = std::min(float(hp.n_rot - 1), ceilf(corr_dim(beta_slow)));
  // llama.cpp's attention factor for YaRN: get_mscale(factor) / (1 + 0.1 ln factor), which
  // rope_yarn multiplies by (1 + 0.1 ln (1 / freq_scale)) again for every angle
  // (with yarn_log_multiplier m, get_mscale(factor, 1) / get_mscale(factor, m): llama-context.cpp)
  const float factor = 1.0f / hp.rope_freq_scale;
  auto get_mscale = [&](float m) { return factor <= 1.0f ? 1.0f : mul_add(0.1f * m, logf(factor), 1.0f); };
  float mscale = keys.log_mul != 0.0f ? get_mscale(1.0f) / get_mscale(keys.log_mul) : get_mscale(1.0f);
  mscale *= 1.0f / mul_add(0.1f, logf(factor), 1.0f);
  mscale *= attn_factor;
  mscale *= mul_add(0.1f, logf(1.0f / hp.rope_freq_scale), 1.0f);
  hp.rope_mscale = mscale;
  // the context the model was scaled to, which llama.cpp leaves at the GGUF's context_length
  hp.n_ctx_train = int(std::min<int64_t>(1 << 30, std::max<int64_t>(hp.n_ctx_train, int64_t(double(n_ctx_orig) * factor))));
}

// Gemma 3's keys and llama.cpp's constants for it (models/gemma3.cpp).
void read_gemma3(const GgufFile& g, const std::string& a, HParams& hp, const std::string& scaling) {
  if (scaling == "yarn" || scaling == "longrope")
    throw Error("MODEL_HPARAMS", "rope scaling '" + scaling + "' is not supported for gemma3 (none, linear)");
  read_window_layers(g, a, hp, 0, 6);
  if (hp.n_swa > 0) {
    hp.rope_freq_base_swa = float(g.get_float(a + "rope.freq_base_swa").value_or(10000.0));
    if (!(hp.rope_freq_base_swa > 1)) throw Error("MODEL_HPARAMS", "rope.freq_base_swa out of range");
  }
  hp.final_logit_softcap = float(g.get_float(a + "final_logit_softcapping").value_or(0.0));
  if (!(hp.final_logit_softcap >= 0 && hp.final_logit_softcap < 1e6))
    throw Error("MODEL_HPARAMS", "final_logit_softcapping out of range");
  hp.embed_scale = sqrtf(float(hp.n_embd));
  // 27B (62 layers) scales by its model width over heads, the others by the head width
  hp.attention_scale = hp.n_layer == 62 ? 1.0f / std::sqrt(float(hp.n_embd / hp.n_head))
                                        : 1.0f / std::sqrt(float(hp.head_dim));
}

// A mixture of experts' counts, as llama.cpp reads them for llama (Mixtral) and granitemoe
// (ff_wide: the experts are feed_forward_length wide, and a file may have none) and qwen3moe
// (expert_feed_forward_length, else feed_forward_length over the experts used).
void read_experts(const GgufFile& g, const std::string& a, HParams& hp, bool ff_wide) {
  const int64_t n_expert = g.get_int(a + "expert_count").value_or(0);
  if (n_expert == 0 && ff_wide) return;
  if (g.find(a + "expert_used_count") && !g.get_int(a + "expert_used_count"))
    throw Error("MODEL_HPARAMS", "expert_used_count as a per-layer array is not supported");
  if (g.find(a + "expert_feed_forward_length") && !g.get_int(a + "expert_feed_forward_length"))
    throw Error("MODEL_HPARAMS", "expert_feed_forward_length as a per-layer array is not supported");
  // llama.cpp's bound on experts (LLAMA_MAX_EXPERTS); used ones: 8-10 in today's models,
  // and a step's buffers grow with them
  hp.n_expert = checked_dim(n_expert, a + "expert_count", 1024);
  hp.n_expert_used = checked_dim(require_int(g, a + "expert_used_count"), a + "expert_used_count",
                                 std::min(hp.n_expert, 64));
  const int64_t ff = ff_wide ? hp.n_ff : g.get_int(a + "expert_feed_forward_length").value_or(hp.n_ff / hp.n_expert_used);
  hp.n_ff_exp = checked_dim(ff, a + "expert_feed_forward_length", 1 << 20);
}

// The always-on expert's width (Granite MoE Shared, ERNIE 4.5 MoE): 0 when unsaid.
void read_shared_expert(const GgufFile& g, const std::string& a, HParams& hp) {
  const std::string key = a + "expert_shared_feed_forward_length";
  if (g.find(key) && !g.get_int(key)) throw Error("MODEL_HPARAMS", "expert_shared_feed_forward_length as a per-layer array is not supported");
  const int64_t n = g.get_int(key).value_or(0);
  hp.n_ff_shexp = n == 0 ? 0 : checked_dim(n, key, 1 << 20);
}

// ERNIE 4.5 MoE, as llama.cpp reads it (models/ernie4-5.cpp): qwen3moe's expert keys,
// interleave_moe_layer_step (required), leading_dense_block_count, a shared expert; the
// PaddleOCR-VL models' sectioned RoPE is not run.
void read_ernie_moe(const GgufFile& g, const std::string& a, HParams& hp) {
  read_experts(g, a, hp, false);
  read_shared_expert(g, a, hp);
  hp.expert_selection_bias = true;
  hp.moe_layer_step = checked_dim(require_int(g, a + "interleave_moe_layer_step"), a + "interleave_moe_layer_step", hp.n_layer);
  const int64_t lead = g.get_int(a + "leading_dense_block_count").value_or(0);
  if (lead < 0 || lead > hp.n_layer) throw Error("MODEL_HPARAMS", "leading_dense_block_count out of range");
  hp.n_layer_dense_lead = int(lead);
  refuse_rope_sections(g, a);
}

// gpt-oss, as llama.cpp reads it (models/openai-moe.cpp): qwen3moe's expert keys, a sliding
// window (required) on every sliding_window_pattern-th layer but the last of each period (2
// when unsaid: the even layers), rotating at rope.freq_base_swa (else the model's base) and the
// model's scale, YaRN included; sinks, biases and OpenAI's gating; the FFN norm stored as
// post_attention_norm.
void read_gpt_oss(const GgufFile& g, const std::string& a, HParams& hp) {
  read_experts(g, a, hp, false);
  hp.oai_moe = true;
  hp.attn_sinks = true;
  hp.ffn_norm_name = "post_attention_norm.weight";
  read_window_layers(g, a, hp, -1, 2);
  hp.rope_freq_base_swa = float(g.get_float(a + "rope.freq_base_swa").value_or(hp.rope_freq_base));
  if (!(hp.rope_freq_base_swa > 1)) throw Error("MODEL_HPARAMS", "rope.freq_base_swa out of range");
  hp.rope_freq_scale_swa = hp.rope_freq_scale;
}

}  // namespace

HParams read_hparams(const GgufFile& g) {
  HParams hp;
  auto arch = g.get_string("general.architecture");
  if (!arch) throw Error("MODEL_ARCH", "missing 'general.architecture'");
  hp.arch_name = *arch;
  const ArchName* known = nullptr;
  for (const ArchName& k : kArchNames)
    if (*arch == k.name) known = &k;
  if (!known) {
    std::string names;
    for (size_t k = 0; k < std::size(kArchNames); ++k)
      names += std::string(k == 0 ? "" : k + 1 == std::size(kArchNames) ? " and " : ", ") + kArchNames[k].name;
    throw Error("MODEL_ARCH", "unsupported architecture '" + *arch + "' (tome runs " + names + ")");
  }
  hp.arch = known->arch;
  hp.rope_style = known->rope;
  if (hp.arch == Arch::SMOLLM3) hp.no_rope_period = 4;  // llama.cpp's constant (the GGUFs carry no key for it)
  if (hp.arch == Arch::COHERE2) hp.layer_norm = true;
  const std::string a = *arch + ".";
  hp.n_layer = checked_dim(require_int(g, a + "block_count"), a + "block_count", 4096);
  // layers for multi-token prediction (NextN / MTP) at the end of block_count: kept in the file,
  // not run (llama.cpp's n_layer = n_layer_all - nextn_predict_layers)
  const int64_t nextn = g.get_int(a + "nextn_predict_layers").value_or(0);
  if (nextn < 0 || nextn >= hp.n_layer) throw Error("MODEL_HPARAMS", "nextn_predict_layers out of range");
  hp.n_layer -= int(nextn);
  hp.n_embd = checked_dim(require_int(g, a + "embedding_length"), a + "embedding_length", 1 << 17);
  hp.n_ff = checked_dim(require_int(g, a + "feed_forward_length"), a + "feed_forward_length", 1 << 20);
  hp.n_head = checked_dim(require_int(g, a + "attention.head_count"), a + "attention.head_count", 4096);
  hp.n_head_kv = checked_dim(g.get_int(a + "attention.head_count_kv").value_or(hp.n_head),
                             a + "attention.head_count_kv", hp.n_head);
  if (hp.n_head % hp.n_head_kv != 0)
    throw Error("MODEL_HPARAMS", "head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " +
                                     std::to_string(hp.n_head_kv));
  if (hp.n_embd % hp.n_head != 0 && !g.find(a + "attention.key_length"))
    throw Error("MODEL_HPARAMS", "embedding_length is not a multiple of head_count");
  hp.head_dim = checked_dim(g.get_int(a + "attention.key_length").value_or(hp.n_embd / hp.n_head),
                            a + "attention.key_length", 1024);
  int64_t vlen = g.get_int(a + "attention.value_length").value_or(hp.head_dim);
  if (vlen != hp.head_dim)
    throw Error("MODEL_HPARAMS", "value_length != key_length is not supported");
  hp.n_ctx_train = checked_dim(g.get_int(a + "context_length").value_or(2048), a + "context_length", 1 << 30);
  hp.n_rot = checked_dim(g.get_int(a + "rope.dimension_count").value_or(hp.head_dim), a + "rope.dimension_count",
                         hp.head_dim);
  if (hp.n_rot % 2 != 0) throw Error("MODEL_HPARAMS", "rope.dimension_count must be even");
  const std::string eps_key = hp.layer_norm ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon";
  hp.rms_eps = float(g.get_float(a + eps_key).value_or(1e-5));
  if (!(hp.rms_eps > 0 && hp.rms_eps < 1)) throw Error("MODEL_HPARAMS", eps_key + " out of range");
  hp.rope_freq_base = float(g.get_float(a + "rope.freq_base").value_or(10000.0));
  if (!(hp.rope_freq_base > 1)) throw Error("MODEL_HPARAMS", "rope.freq_base out of range");
  if (hp.arch == Arch::HUNYUAN_DENSE) read_hunyuan_dense(g, a, hp);  // its base before YaRN's dims use it

  // RoPE scaling as llama.cpp reads it: rope.scaling.factor f (else the older rope.scale_linear)
  // divides positions by f under every type but none (linear when no type is given; YaRN
  // mixes in the unscaled angles below); LongRoPE (phi3) rotates by per-pair factors
  // (weights.h) and its attn_factor, and has no factor key of its own.
  auto scaling = g.get_string(a + "rope.scaling.type");
  if (scaling && *scaling != "none" && *scaling != "linear" && *scaling != "yarn" && *scaling != "longrope")
    throw Error("MODEL_HPARAMS", "rope scaling '" + *scaling + "' is not supported (none, linear, yarn, longrope)");
  double factor = g.get_float(a + "rope.scaling.factor").value_or(0.0);
  if (factor == 0.0) factor = g.get_float(a + "rope.scale_linear").value_or(0.0);
  if (!(factor >= 0 && factor < 1e6)) throw Error("MODEL_HPARAMS", "rope.scaling.factor out of range");
  if (factor > 0 && !(scaling && *scaling == "none")) hp.rope_freq_scale = float(1.0 / factor);
  const float attn_factor = float(g.get_float(a + "rope.scaling.attn_factor").value_or(1.0));
  if (!(attn_factor > 0 && attn_factor < 100)) throw Error("MODEL_HPARAMS", "rope.scaling.attn_factor out of range");
  hp.rope_mscale = attn_factor;
  hp.longrope = scaling && *scaling == "longrope";
  hp.n_ctx_orig = checked_dim(g.get_int(a + "rope.scaling.original_context_length").value_or(hp.n_ctx_train),
                              a + "rope.scaling.original_context_length", 1 << 30);
  YarnKeys yarn;
  if (hp.arch == Arch::MISTRAL3) yarn = read_yarn_keys(g, a);
  if (scaling && *scaling == "yarn") set_yarn(hp, attn_factor, yarn);
  if (hp.arch == Arch::MISTRAL3) read_attn_temp(g, a, hp);

  if (hp.arch == Arch::GEMMA3) read_gemma3(g, a, hp, scaling ? *scaling : std::string());
  switch (known->experts) {
    case Experts::FF_WIDE:
      read_experts(g, a, hp, true);
      if (hp.arch == Arch::GRANITE) read_shared_expert(g, a, hp);  // Granite MoE Shared
      break;
    case Experts::OWN_WIDTH: read_experts(g, a, hp, false); break;
    case Experts::ERNIE: read_ernie_moe(g, a, hp); break;
    case Experts::OAI: read_gpt_oss(g, a, hp); break;
    case Experts::QWEN2MOE:  // models/qwen2moe.cpp: qwen3moe's expert keys, the shared expert's width
      read_experts(g, a, hp, false);
      read_shared_expert(g, a, hp);
      hp.qwen2moe = true;
      break;
    case Experts::NONE:
      if (g.get_int(a + "expert_count").value_or(0) != 0)
        throw Error("MODEL_HPARAMS", hp.arch_name + " with a mixture of experts is not supported");
  }
  // tensors llama.cpp loads under other names or for one name only
  if (hp.arch_name == "seed_oss") hp.ffn_norm_name = "post_attention_norm.weight";
  if (hp.arch_name == "phimoe") hp.norm_biases = true;
  if (hp.arch == Arch::GRANITE) read_granite(g, a, hp);
  if (hp.arch == Arch::EXAONE4) read_exaone4(g, a, hp);
  if (hp.arch == Arch::COHERE2) read_cohere2(g, a, hp);
  if (hp.arch == Arch::OLMO2) read_olmo2(g, a, hp);
  if (hp.arch == Arch::GLM4) refuse_rope_sections(g, a);  // GLM-4.1V's M-RoPE

  auto tokens = g.get_array("tokenizer.ggml.tokens");
  hp.n_vocab = int(g.get_int(a + "vocab_size").value_or(tokens ? int64_t(tokens->array_size()) : 0));
  return hp;
}

}  // namespace tome
