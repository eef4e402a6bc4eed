#include "model/weights.h"

#include <string>

#include "common/error.h"
#include "cpu/quant.h"
#include "gguf/gguf_file.h"

namespace tome {

namespace {

std::string shape_str(const GgufTensorInfo& t) {
  std::string s = "[";
  for (uint32_t d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
  return s + "]";
}

const GgufTensorInfo* find(const GgufFile& g, const std::string& name, bool required) {
  const GgufTensorInfo* t = g.tensor(name);
  if (!t && required) throw Error("MODEL_TENSOR", "missing tensor '" + name + "'");
  return t;
}

void check_type(const GgufTensorInfo& t) {
  const GgmlTypeTraits* tr = ggml_type_traits(t.type);
  if (!tr || !tr->supported)
    throw Error("UNSUPPORTED_TYPE", "tensor '" + t.name + "' has type " + ggml_type_name(t.type) +
                                        ", which tome does not support (" + supported_type_names() + ")");
}

// A 2-D matrix: GGUF ne = [cols, rows] (ne[0] fastest).
WeightMatrix matrix(const GgufFile& g, const std::string& name, int64_t rows, int64_t cols, uint64_t& bytes) {
  const GgufTensorInfo* t = find(g, name, true);
  check_type(*t);
  bool ok = t->ne[0] == cols && t->ne[1] == rows && t->ne[2] == 1 && t->ne[3] == 1;
  if (!ok)
    throw Error("MODEL_TENSOR", "tensor '" + name + "' has shape " + shape_str(*t) + ", expected [" +
                                    std::to_string(cols) + ", " + std::to_string(rows) + "]");
  const GgmlTypeTraits& tr = *ggml_type_traits(t->type);
  bytes += t->nbytes;
  return WeightMatrix{GgmlType(t->type), rows, cols, t->data, ggml_row_bytes(tr, uint64_t(cols))};
}

// A tensor of `stack` vectors of n values (GGUF ne = [n] for one, [n, stack] for more), its
// type supported and its rows whole blocks; nullptr when absent and not required.
const GgufTensorInfo* vectors(const GgufFile& g, const std::string& name, int64_t n, int64_t stack, bool required) {
  const GgufTensorInfo* t = find(g, name, required);
  if (!t) return nullptr;
  check_type(*t);
  if (t->ne[0] != n || t->n_elements() != n * stack || (stack > 1 && t->ne[1] != stack))
    throw Error("MODEL_TENSOR", "tensor '" + name + "' has shape " + shape_str(*t) + ", expected [" +
                                    std::to_string(n) + (stack > 1 ? ", " + std::to_string(stack) : "") + "]");
  if (n % ggml_type_traits(t->type)->block_size != 0)
    throw Error("MODEL_TENSOR", "tensor '" + name + "' is not whole blocks");
  return t;
}

std::vector<float> to_f32(const GgufTensorInfo& t, int64_t n, uint64_t& bytes) {
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(GgmlType(t.type), t.data, out.data(), n);
  bytes += t.nbytes;
  return out;
}

// A vector of n values, converted to f32.
std::vector<float> vec(const GgufFile& g, const std::string& name, int64_t n, bool required, uint64_t& bytes) {
  const GgufTensorInfo* t = vectors(g, name, n, 1, required);
  return t ? to_f32(*t, n, bytes) : std::vector<float>{};
}

// n_expert vectors of n values in one 2-D tensor, converted to f32 as one (n_expert * n) row.
std::vector<float> expert_vecs(const GgufFile& g, const std::string& name, int64_t n_expert, int64_t n,
                               uint64_t& bytes) {
  return to_f32(*vectors(g, name, n, n_expert, true), n * n_expert, bytes);
}

// A 1-D tensor of n values read as a one-row matrix (qwen2moe's shared expert gate: llama.cpp
// multiplies it as one).
WeightMatrix gate_vector(const GgufFile& g, const std::string& name, int64_t n, uint64_t& bytes) {
  const GgufTensorInfo* t = vectors(g, name, n, 1, true);
  bytes += t->nbytes;
  return WeightMatrix{GgmlType(t->type), 1, n, t->data, ggml_row_bytes(*ggml_type_traits(t->type), uint64_t(n))};
}

// Rows [r0, r0 + n) of a matrix: its row bytes are whole blocks, so the rows
// are the same bytes, and a matmul over them the same sums.
WeightMatrix rows_of(const WeightMatrix& m, int64_t r0, int64_t n) {
  if (r0 % m.interleave != 0 || n % m.interleave != 0)  // rows interleaved in groups: whole groups only
    throw Error("INTERNAL", "rows " + std::to_string(r0) + " + " + std::to_string(n) + " of a matrix interleaved by " +
                                std::to_string(m.interleave));
  WeightMatrix v = m;
  v.rows = n;
  v.data = static_cast<const uint8_t*>(m.data) + size_t(r0) * m.row_bytes;
  return v;
}

// n_expert matrices of (rows, cols) in one 3-D tensor: GGUF ne = [cols, rows, n_expert],
// read as one (n_expert * rows, cols) matrix.
WeightMatrix expert_stack(const GgufFile& g, const std::string& name, int64_t n_expert, int64_t rows, int64_t cols,
                          uint64_t& bytes) {
  const GgufTensorInfo* t = find(g, name, true);
  check_type(*t);
  bool ok = t->ne[0] == cols && t->ne[1] == rows && t->ne[2] == n_expert && t->ne[3] == 1;
  if (!ok)
    throw Error("MODEL_TENSOR", "tensor '" + name + "' has shape " + shape_str(*t) + ", expected [" +
                                    std::to_string(cols) + ", " + std::to_string(rows) + ", " +
                                    std::to_string(n_expert) + "]");
  const GgmlTypeTraits& tr = *ggml_type_traits(t->type);
  bytes += t->nbytes;
  return WeightMatrix{GgmlType(t->type), n_expert * rows, cols, t->data, ggml_row_bytes(tr, uint64_t(cols))};
}

}  // namespace

WeightMatrix expert_rows(const WeightMatrix& stack, int n_expert, int e) {
  const int64_t rows = stack.rows / n_expert;
  return rows_of(stack, int64_t(e) * rows, rows);
}

const std::vector<float>& rope_factors_for(const Weights& w, const HParams& hp, int64_t n_ctx) {
  if (!w.rope_freq_factors.empty()) return w.rope_freq_factors;
  const int64_t padded = (n_ctx + 255) / 256 * 256;  // llama.cpp's context, padded to 256
  if (padded > hp.n_ctx_orig && !w.rope_factors_long.empty()) return w.rope_factors_long;
  return w.rope_factors_short;
}

Weights load_weights(const GgufFile& g, const HParams& hp) {
  Weights w;
  uint64_t& bytes = w.weight_bytes;
  const int64_t E = hp.n_embd, Q = hp.q_dim(), KV = hp.kv_dim(), F = hp.n_ff, V = hp.n_vocab;
  w.token_embd = matrix(g, "token_embd.weight", V, E, bytes);
  w.output_norm = vec(g, "output_norm.weight", E, true, bytes);
  const bool norm_biases = hp.norm_biases;
  if (norm_biases) w.output_norm_b = vec(g, "output_norm.bias", E, false, bytes);
  if (g.tensor("output.weight")) {
    w.output = matrix(g, "output.weight", V, E, bytes);
  } else {
    w.output = w.token_embd;
    w.tied_output = true;
  }
  if (norm_biases) w.output_b = vec(g, "output.bias", V, false, bytes);
  w.rope_freq_factors = vec(g, "rope_freqs.weight", hp.n_rot / 2, false, bytes);
  if (hp.arch == Arch::PHI3 || hp.longrope) {  // one pair for every layer, as llama.cpp reads them
    w.rope_factors_short = vec(g, "rope_factors_short.weight", hp.n_rot / 2, false, bytes);
    w.rope_factors_long = vec(g, "rope_factors_long.weight", hp.n_rot / 2, false, bytes);
  }
  const bool bias = hp.arch == Arch::QWEN2;
  w.layers.resize(size_t(hp.n_layer));
  for (int l = 0; l < hp.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights& L = w.layers[size_t(l)];
    if (hp.has_attn_norm()) L.attn_norm = vec(g, p + "attn_norm.weight", E, true, bytes);
    if (norm_biases) {
      L.attn_norm_b = vec(g, p + "attn_norm.bias", E, false, bytes);
      L.ffn_norm_b = vec(g, p + "ffn_norm.bias", E, false, bytes);
    }
    if (hp.fused_qkv_ffn() && g.tensor(p + "attn_qkv.weight")) {
      const WeightMatrix qkv = matrix(g, p + "attn_qkv.weight", Q + 2 * KV, E, bytes);
      L.wq = rows_of(qkv, 0, Q);
      L.wk = rows_of(qkv, Q, KV);
      L.wv = rows_of(qkv, Q + KV, KV);
      // its bias added to the fused product is the three biases added to the three parts
      const std::vector<float> b = vec(g, p + "attn_qkv.bias", Q + 2 * KV, false, bytes);
      if (!b.empty()) {
        L.bq.assign(b.begin(), b.begin() + Q);
        L.bk.assign(b.begin() + Q, b.begin() + Q + KV);
        L.bv.assign(b.begin() + Q + KV, b.end());
      }
    } else {
      L.wq = matrix(g, p + "attn_q.weight", Q, E, bytes);
      L.wk = matrix(g, p + "attn_k.weight", KV, E, bytes);
      L.wv = matrix(g, p + "attn_v.weight", KV, E, bytes);
      L.bq = vec(g, p + "attn_q.bias", Q, bias, bytes);
      L.bk = vec(g, p + "attn_k.bias", KV, bias, bytes);
      L.bv = vec(g, p + "attn_v.bias", KV, bias, bytes);
    }
    L.wo = matrix(g, p + "attn_output.weight", E, Q, bytes);
    L.bo = vec(g, p + "attn_output.bias", E, false, bytes);
    if (hp.attn_sinks) L.attn_sinks = vec(g, p + "attn_sinks.weight", hp.n_head, true, bytes);
    if (hp.has_qk_norm()) {  // llama.cpp reads them for these only
      const bool whole = hp.qk_norm_whole();
      L.q_norm = vec(g, p + "attn_q_norm.weight", whole ? Q : hp.head_dim, true, bytes);
      L.k_norm = vec(g, p + "attn_k_norm.weight", whole ? KV : hp.head_dim, true, bytes);
    }
    if (hp.has_post_norms()) {
      L.attn_post_norm = vec(g, p + "post_attention_norm.weight", E, true, bytes);
      L.ffn_post_norm = vec(g, p + "post_ffw_norm.weight", E, true, bytes);
    }
    if (hp.has_ffn_norm()) L.ffn_norm = vec(g, p + hp.ffn_norm_name, E, true, bytes);
    if (hp.is_moe_layer(l)) {
      const int64_t X = hp.n_expert, FX = hp.n_ff_exp, FS = hp.n_ff_shexp;
      L.router = matrix(g, p + "ffn_gate_inp.weight", X, E, bytes);
      if (hp.expert_selection_bias) L.exp_probs_b = vec(g, p + "exp_probs_b.bias", X, false, bytes);
      L.gate_exps = expert_stack(g, p + "ffn_gate_exps.weight", X, FX, E, bytes);
      L.up_exps = expert_stack(g, p + "ffn_up_exps.weight", X, FX, E, bytes);
      L.down_exps = expert_stack(g, p + "ffn_down_exps.weight", X, E, FX, bytes);
      if (hp.oai_moe) {
        L.router_b = vec(g, p + "ffn_gate_inp.bias", X, true, bytes);
        L.gate_exps_b = expert_vecs(g, p + "ffn_gate_exps.bias", X, FX, bytes);
        L.up_exps_b = expert_vecs(g, p + "ffn_up_exps.bias", X, FX, bytes);
        L.down_exps_b = expert_vecs(g, p + "ffn_down_exps.bias", X, E, bytes);
      }
      if (FS > 0) {
        L.gate_shexp = matrix(g, p + "ffn_gate_shexp.weight", FS, E, bytes);
        L.up_shexp = matrix(g, p + "ffn_up_shexp.weight", FS, E, bytes);
        L.down_shexp = matrix(g, p + "ffn_down_shexp.weight", E, FS, bytes);
        if (hp.qwen2moe) L.gate_inp_shexp = gate_vector(g, p + "ffn_gate_inp_shexp.weight", E, bytes);
      }
      continue;
    }
    if (hp.fused_qkv_ffn()) {  // gate rows first (ggml_swiglu's first half)
      const WeightMatrix gate_up = matrix(g, p + "ffn_up.weight", 2 * F, E, bytes);
      L.w_gate = rows_of(gate_up, 0, F);
      L.w_up = rows_of(gate_up, F, F);
    } else {
      if (!hp.ffn_relu_sqr()) L.w_gate = matrix(g, p + "ffn_gate.weight", F, E, bytes);
      L.w_up = matrix(g, p + "ffn_up.weight", F, E, bytes);
    }
    L.w_down = matrix(g, p + "ffn_down.weight", E, F, bytes);
  }
  return w;
}

}  // namespace tome
