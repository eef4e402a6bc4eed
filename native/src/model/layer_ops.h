// Element-wise pieces of a transformer layer, on rows of f32.
#pragma once
#include <cstdint>
#include <vector>

#include "model/hparams.h"

namespace tome {

// out = x / sqrt(mean(x^2) + eps) * w, for n_rows rows of n. Sum in double as ggml does.
void rms_norm(const float* x, const float* w, float* out, int64_t n_rows, int n, float eps);

// LayerNorm without a bias, as ggml_mul(ggml_norm(x, eps), w) computes it (cohere2): per row
// the mean from a double sum, the centred values, their variance summed in `lanes`-wide groups
// (each group's squares reduced as ggml's x86 builds reduce them, then added in double:
// ggml_vec_cvar_f32), the tail one by one; out = (centred * 1/sqrt(var + eps)) * w.
// lanes: 16 where llama.cpp loads an AVX-512 build, 8 for AVX2 (llama_cvar_lanes()), or 4.
void layer_norm(const float* x, const float* w, float* out, int64_t n_rows, int n, float eps, int lanes);
int llama_cvar_lanes();

// Rotary position embedding tables for one position: cos/sin of each rotated pair.
// theta_i = pos * base^(-2i/n_rot) * freq_scale / factor_i, accumulated as ggml does.
struct RopeTable {
  std::vector<float> cos, sin;  // (n_rot / 2)
  void fill(const HParams& hp, const std::vector<float>& freq_factors, int64_t pos);
};

// Rotates the first n_rot dims of each of n_heads heads (head_dim apart) in place.
void apply_rope(float* x, int n_heads, int head_dim, int n_rot, RopeStyle style, const RopeTable& t);

// gate[i] = silu(gate[i]) * up[i]
void swiglu(float* gate, const float* up, int64_t n);

// gpt-oss's activation, as ggml's swiglu_oai (alpha 1.702, limit 7): with x = min(gate, 7) and
// y = clamp(up, -7, 7), gate[i] = x / (1 + expf(alpha * -x)) * (y + 1), in its float order.
void swiglu_oai(float* gate, const float* up, int64_t n);

// gate[i] = gelu(gate[i]) * up[i], GELU (tanh form) as ggml's CPU backend computes it:
// from a table over f16 inputs, rounded to f16 (0 below -10, x above 10).
void geglu(float* gate, const float* up, int64_t n);

// y[i] += x[i]
void add_inplace(float* y, const float* x, int64_t n);

}  // namespace tome
