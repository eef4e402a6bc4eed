// Scalar dot products of the K-quants (Q4_K, Q5_K, Q6_K) with Q8_K activations,
// in the canonical order of kernels.h: per super-block an exact int32
//   isum = sum over sub-blocks of scale * sum(q * q8)      (q unsigned levels)
//   imin = sum over sub-blocks of min * (sum of q8)         (from the bsums)
// then sum = fma(da*dw, isum, sum); sum = fma(-(da*dmin), imin, sum).
// Q6_K has no mins; its offset of 32 is subtracted in the integers:
// isum = sum(scale * sum(q * q8)) - 32 * sum(scale * bsum); sum = fma(da*dw, isum, sum).
// Bounds: every partial stays below 2^29 in magnitude, so int32 never overflows.
#include "common/fp16.h"
#include "cpu/canonical.h"
#include "cpu/dot_scalar.h"
#include "cpu/quant_blocks.h"

namespace tome {
namespace kernels {

namespace {

struct Sums { int isum; int imin; };

// Q4_K / Q5_K: the 256 unsigned levels of a super-block in element order.
void levels_q4_K(const BlockQ4_K& b, uint8_t q[256]) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      q[64 * c + l] = b.qs[32 * c + l] & 0xF;
      q[64 * c + 32 + l] = b.qs[32 * c + l] >> 4;
    }
}
void levels_q5_K(const BlockQ5_K& b, uint8_t q[256]) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      q[64 * c + l] = uint8_t((b.qs[32 * c + l] & 0xF) | (((b.qh[l] >> (2 * c)) & 1) << 4));
      q[64 * c + 32 + l] = uint8_t((b.qs[32 * c + l] >> 4) | (((b.qh[l] >> (2 * c + 1)) & 1) << 4));
    }
}
void levels_q6_K(const BlockQ6_K& b, uint8_t q[256]) {
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 32; ++l) {
      const uint8_t* ql = b.ql + 64 * h;
      const uint8_t qh = b.qh[32 * h + l];
      q[128 * h + l] = uint8_t((ql[l] & 0xF) | ((qh & 3) << 4));
      q[128 * h + l + 32] = uint8_t((ql[l + 32] & 0xF) | (((qh >> 2) & 3) << 4));
      q[128 * h + l + 64] = uint8_t((ql[l] >> 4) | (((qh >> 4) & 3) << 4));
      q[128 * h + l + 96] = uint8_t((ql[l + 32] >> 4) | (((qh >> 6) & 3) << 4));
    }
}

// Sub-blocks of 32 with 6-bit scales and mins (Q4_K, Q5_K).
Sums sums_scale_min(const uint8_t q[256], const uint8_t* scales, const BlockQ8_K& a) {
  Sums s{0, 0};
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    kquant_scale_min(j, scales, &sc, &m);
    int dot = 0;
    for (int l = 0; l < 32; ++l) dot += int(q[32 * j + l]) * int(a.qs[32 * j + l]);
    s.isum += int(sc) * dot;
    s.imin += int(m) * (int(a.bsums[2 * j]) + int(a.bsums[2 * j + 1]));
  }
  return s;
}

// Sub-blocks of 16 with int8 scales and levels offset by 32 (Q6_K).
Sums sums_q6(const uint8_t q[256], const int8_t* scales, const BlockQ8_K& a) {
  Sums s{0, 0};
  for (int g = 0; g < 16; ++g) {
    int dot = 0;
    for (int l = 0; l < 16; ++l) dot += int(q[16 * g + l]) * int(a.qs[16 * g + l]);
    s.isum += int(scales[g]) * dot;
    s.imin += 32 * int(scales[g]) * int(a.bsums[g]);
  }
  return s;
}

float finish(float sum, float da, float dw, float dmin, const Sums& s) {
  sum = fmaf_exact(da * dw, float(s.isum), sum);
  return fmaf_exact(-(da * dmin), float(s.imin), sum);
}

const BlockQ8_K* act_row(const void* act, size_t stride, int k) {
  return reinterpret_cast<const BlockQ8_K*>(static_cast<const uint8_t*>(act) + size_t(k) * stride);
}

}  // namespace

// Each kernel unpacks a weight super-block once and uses it for all n_act rows;
// every row's arithmetic is the same as for a lone row.
void dot_q4_K_scalar(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  float sum[4] = {};
  uint8_t q[256];
  for (int64_t i = 0; i < n / kQKK; ++i) {
    levels_q4_K(x[i], q);
    const float dw = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
    for (int k = 0; k < n_act; ++k) {
      const BlockQ8_K& a = act_row(act, stride, k)[i];
      sum[k] = finish(sum[k], a.d, dw, dmin, sums_scale_min(q, x[i].scales, a));
    }
  }
  for (int k = 0; k < n_act; ++k) out[k] = sum[k];
}

void dot_q5_K_scalar(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  const BlockQ5_K* x = static_cast<const BlockQ5_K*>(w);
  float sum[4] = {};
  uint8_t q[256];
  for (int64_t i = 0; i < n / kQKK; ++i) {
    levels_q5_K(x[i], q);
    const float dw = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
    for (int k = 0; k < n_act; ++k) {
      const BlockQ8_K& a = act_row(act, stride, k)[i];
      sum[k] = finish(sum[k], a.d, dw, dmin, sums_scale_min(q, x[i].scales, a));
    }
  }
  for (int k = 0; k < n_act; ++k) out[k] = sum[k];
}

void dot_q6_K_scalar(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  float sum[4] = {};
  uint8_t q[256];
  for (int64_t i = 0; i < n / kQKK; ++i) {
    levels_q6_K(x[i], q);
    const float dw = fp16_to_fp32(x[i].d);
    for (int k = 0; k < n_act; ++k) {
      const BlockQ8_K& a = act_row(act, stride, k)[i];
      const Sums s = sums_q6(q, x[i].scales, a);
      sum[k] = fmaf_exact(a.d * dw, float(s.isum - s.imin), sum[k]);
    }
  }
  for (int k = 0; k < n_act; ++k) out[k] = sum[k];
}

}  // namespace kernels
}  // namespace tome
