#include "model/layer_ops.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "attention/vector_exp.h"
#include "common/fp16.h"
#include "cpu/cpu_features.h"

namespace tome {

void rms_norm(const float* x, const float* w, float* out, int64_t n_rows, int n, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n;
    float* o = out + r * n;
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += double(xr[i] * xr[i]);
    const float scale = 1.0f / std::sqrt(float(sum / n) + eps);
    for (int i = 0; i < n; ++i) o[i] = (xr[i] * scale) * w[i];
  }
}

namespace {
// One group of squares summed as ggml's x86 builds reduce a register: the upper half onto the
// lower (16 -> 8 -> 4 lanes, as _mm512_reduce_add_ps and the AVX2 extract/add do), then
// (v0 + v2) + (v1 + v3).
float reduce_lanes(float* v, int lanes) {
  for (int w = lanes / 2; w >= 4; w /= 2)
    for (int k = 0; k < w; ++k) v[k] = v[k] + v[k + w];
  return (v[0] + v[2]) + (v[1] + v[3]);
}
}  // namespace

int llama_cvar_lanes() {
  const CpuFeatures& f = cpu_features();
  return f.avx512 ? 16 : f.avx2 && f.fma ? 8 : 4;
}

void layer_norm(const float* x, const float* w, float* out, int64_t n_rows, int n, float eps, int lanes) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n;
    float* o = out + r * n;
    double total = 0;
    for (int i = 0; i < n; ++i) total += double(xr[i]);
    const float mean = float(total) / float(n);
    double sum = 0;
    int i = 0;
    float sq[16];
    for (; i + lanes <= n; i += lanes) {
      for (int k = 0; k < lanes; ++k) {
        o[i + k] = xr[i + k] - mean;
        sq[k] = o[i + k] * o[i + k];
      }
      sum += double(reduce_lanes(sq, lanes));
    }
    for (; i < n; ++i) {
      o[i] = xr[i] - mean;
      sum += double(o[i] * o[i]);
    }
    const float variance = float(sum / n);
    const float scale = 1.0f / std::sqrt(variance + eps);
    for (int j = 0; j < n; ++j) o[j] = (o[j] * scale) * w[j];
  }
}

void RopeTable::fill(const HParams& hp, const std::vector<float>& ff, int64_t pos) {
  const int half = hp.n_rot / 2;
  cos.resize(size_t(half));
  sin.resize(size_t(half));
  const float theta_scale = std::pow(hp.rope_freq_base, -2.0f / float(hp.n_rot));
  const bool fused = cpu_features().fma;
  float theta = float(pos);
  for (int i = 0; i < half; ++i) {
    const float factor = ff.empty() ? 1.0f : ff[size_t(i)];
    const float extrap = theta / factor;
    float th = hp.rope_freq_scale * extrap;
    if (hp.yarn_ext_factor != 0.0f) {  // YaRN: the ramp mixes in the unscaled angle for fast-turning pairs
      const float lo = hp.yarn_corr_dims[0], hi = hp.yarn_corr_dims[1];
      const float y = (float(i) - lo) / std::max(0.001f, hi - lo);
      const float mix = (1 - std::min(1.0f, std::max(0.0f, y))) * hp.yarn_ext_factor;
      th = fused ? std::fma(th, 1 - mix, extrap * mix) : th * (1 - mix) + extrap * mix;
    }
    cos[size_t(i)] = std::cos(th) * hp.rope_mscale;
    sin[size_t(i)] = std::sin(th) * hp.rope_mscale;
    theta *= theta_scale;
  }
}

// ggml's CPU builds for FMA-capable CPUs (haswell, zen4, ...) are compiled with
// -mfma and GCC's default -ffp-contract=fast, which contracts its rotation
//   y0 = x0 c - x1 s,  y1 = x0 s + x1 c
// into one rounded product and one fma per output, the x0 product kept exact:
//   y0 = fma(x0, c, -(x1 s)),  y1 = fma(x0, s, x1 c)
// in both the NORM and the NEOX loop (seen in libggml-cpu-zen4's disassembly,
// checked value for value by tests/model/test_layer_ggml_oracle). A 1-ulp
// difference here flips Q8_0 roundings of the next activations on small models.
// ggml's builds for CPUs without FMA round all four products, as written.
void apply_rope(float* x, int n_heads, int head_dim, int n_rot, RopeStyle style, const RopeTable& t) {
  const int half = n_rot / 2;
  const bool fused = cpu_features().fma;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + size_t(h) * head_dim;
    for (int i = 0; i < half; ++i) {
      // NORM pairs (2i, 2i+1); NEOX pairs (i, i + n_rot/2)
      const int a = style == RopeStyle::NORM ? 2 * i : i;
      const int b = style == RopeStyle::NORM ? 2 * i + 1 : i + half;
      const float x0 = v[a], x1 = v[b], c = t.cos[size_t(i)], s = t.sin[size_t(i)];
      if (fused) {
        v[a] = std::fma(x0, c, -(x1 * s));
        v[b] = std::fma(x0, s, x1 * c);
      } else {
        v[a] = x0 * c - x1 * s;
        v[b] = x0 * s + x1 * c;
      }
    }
  }
}

void swiglu(float* gate, const float* up, int64_t n) { swiglu_ggml(gate, up, n); }

void swiglu_oai(float* gate, const float* up, int64_t n) {
  constexpr float alpha = 1.702f, limit = 7.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float x = std::min(gate[i], limit);
    const float y = std::clamp(up[i], -limit, limit);
    const float glu = x / (1.0f + std::exp(alpha * (-x)));
    gate[i] = glu * (y + 1.0f);
  }
}

namespace {
// ggml's table of gelu(x) for every f16 x, as f16: its float expression with the one
// multiply-add GCC's -ffp-contract=fast fuses on an FMA build (as in apply_rope).
const std::vector<uint16_t>& gelu_f16_table() {
  static const std::vector<uint16_t> table = [] {
    const bool fused = cpu_features().fma;
    const float coef_a = 0.044715f, sqrt_2_over_pi = 0.79788456080286535587989211986876f;
    std::vector<uint16_t> t(size_t(1) << 16);
    for (size_t i = 0; i < t.size(); ++i) {
      const float x = fp16_to_fp32(uint16_t(i));
      const float inner = fused ? std::fma(coef_a * x, x, 1.0f) : 1.0f + coef_a * x * x;
      t[i] = fp32_to_fp16(0.5f * x * (1.0f + std::tanh(sqrt_2_over_pi * x * inner)));
    }
    return t;
  }();
  return table;
}
}  // namespace

void geglu(float* gate, const float* up, int64_t n) {
  const std::vector<uint16_t>& table = gelu_f16_table();
  for (int64_t i = 0; i < n; ++i) {
    const float x = gate[i];
    if (x <= -10.0f) gate[i] = 0.0f;
    else if (x >= 10.0f) gate[i] = x * up[i];
    else gate[i] = fp16_to_fp32(table[fp32_to_fp16(x)]) * up[i];
  }
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace tome
