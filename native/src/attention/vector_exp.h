// exp as llama.cpp's CPU backend computes it inside softmax and SiLU: a
// polynomial approximation (max error about 1.5 ulp) evaluated per SIMD lane,
// in the flavour of the llama.cpp build that this CPU would load (AVX-512: 16
// lanes, AVX2: 8 lanes; otherwise libm's expf). Full attention's probabilities
// are rounded to f16, so a 1-ulp difference in exp occasionally flips an f16
// rounding and, through the quantized activations that follow, a logit; using
// the same exp keeps tome's full attention token-for-token with llama.cpp.
#pragma once
#include <cstdint>

namespace tome {

// y[i] = exp(x[i] - max) for i < n. Returns their sum accumulated as ggml does:
// each chunk of lanes summed in float by halving, the chunk sums in double.
// The row is treated as padded with zeros to whole chunks (llama.cpp pads its
// KQ rows to 256 keys with -inf, which exp turns into 0).
double softmax_exp(const float* x, int64_t n, float max, float* y);

// gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)); whole chunks use
// the approximation, the tail libm's expf, as ggml_vec_swiglu_f32 does.
void swiglu_ggml(float* gate, const float* up, int64_t n);

// Lanes of the flavour in use: 16, 8, or 1 (exact expf).
int exp_lane_width();

namespace avx2 {
double softmax_exp(const float* x, int64_t n, float max, float* y, int width);
void swiglu_ggml(float* gate, const float* up, int64_t n, int width);
}  // namespace avx2

}  // namespace tome
