// Scalar dot products of the K-quants (Q3_K, Q4_K, Q5_K, Q6_K) and IQ4_XS with Q8_K activations,
// in the canonical order of kernels.h, written out plainly: the unsigned levels q
// times q8 in exact integers (scale * sum(q * q8) per sub-block, min * bsums for
// the offsets), then the few float steps per super-block.
// Bounds: every partial stays below 2^29 in magnitude, so int32 never overflows.
#include "common/fp16.h"
#include "cpu/canonical.h"
#include "cpu/dot_scalar.h"
#include "cpu/quant_blocks.h"

namespace tome {
namespace kernels {

namespace {

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

// Q4_K / Q5_K: the 8 scales and mins of a super-block.
void scales_mins(const uint8_t* packed, int sc[8], int m[8]) {
  for (int j = 0; j < 8; ++j) {
    uint8_t s8, m8;
    kquant_scale_min(j, packed, &s8, &m8);
    sc[j] = s8;
    m[j] = m8;
  }
}

// imin = sum_j m_j * (bsums[2j] + bsums[2j+1])
int mins_dot_bsums(const int m[8], const BlockQ8_K& a) {
  int imin = 0;
  for (int j = 0; j < 8; ++j) imin += m[j] * (int(a.bsums[2 * j]) + int(a.bsums[2 * j + 1]));
  return imin;
}

// The 8 lane sums of kernels.h: lane l takes elements 4l..4l+3 of each of the 8
// 32-element vectors v, weighted by scale_of(v, l). (Levels unsigned, or Q3_K's signed.)
template <class Level, class ScaleOf>
void lane_sums(const Level q[256], const int8_t* q8, ScaleOf scale_of, int lanes[8]) {
  for (int l = 0; l < 8; ++l) {
    int s = 0;
    for (int v = 0; v < 8; ++v) {
      int p = 0;
      for (int e = 4 * l; e < 4 * l + 4; ++e) p += int(q[32 * v + e]) * int(q8[32 * v + e]);
      s += scale_of(v, l) * p;
    }
    lanes[l] = s;
  }
}

// Q4_K (llama.cpp's repacked AVX2 order): per super-block one exact int32 of each
// kind; acc = fma(da*dw, isum, acc), accm = fma(da*dmin, imin, accm); acc - accm.
float dot_q4_K(const BlockQ4_K* x, const BlockQ8_K* a, int64_t nb) {
  float acc = 0.0f, accm = 0.0f;
  uint8_t q[256];
  int sc[8], m[8], lanes[8];
  for (int64_t i = 0; i < nb; ++i) {
    levels_q4_K(x[i], q);
    scales_mins(x[i].scales, sc, m);
    lane_sums(q, a[i].qs, [&](int v, int) { return sc[v]; }, lanes);
    int isum = 0;
    for (int l = 0; l < 8; ++l) isum += lanes[l];
    acc = fmaf_exact(a[i].d * fp16_to_fp32(x[i].d), float(isum), acc);
    accm = fmaf_exact(a[i].d * fp16_to_fp32(x[i].dmin), float(mins_dot_bsums(m, a[i])), accm);
  }
  return acc - accm;
}

// Q4_K, llama.cpp's repacked gemm order (4-token groups): per 64 elements c
// (sub-blocks 2c, 2c+1) one exact int32 of each kind; acc = fma(isum_c, dw*da, acc),
// accm = fma(imin_c, dmin*da, accm); acc - accm.
float dot_q4_K_gemm(const BlockQ4_K* x, const BlockQ8_K* a, int64_t nb) {
  float acc = 0.0f, accm = 0.0f;
  uint8_t q[256];
  int sc[8], m[8];
  for (int64_t i = 0; i < nb; ++i) {
    levels_q4_K(x[i], q);
    scales_mins(x[i].scales, sc, m);
    const float d = fp16_to_fp32(x[i].d) * a[i].d, dm = fp16_to_fp32(x[i].dmin) * a[i].d;
    for (int c = 0; c < 4; ++c) {
      int isum = 0, imin = 0;
      for (int j = 2 * c; j < 2 * c + 2; ++j) {
        int p = 0;
        for (int e = 32 * j; e < 32 * j + 32; ++e) p += int(q[e]) * int(a[i].qs[e]);
        isum += sc[j] * p;
        imin += m[j] * (int(a[i].bsums[2 * j]) + int(a[i].bsums[2 * j + 1]));
      }
      acc = fmaf_exact(float(isum), d, acc);
      accm = fmaf_exact(float(imin), dm, accm);
    }
  }
  return acc - accm;
}

// Q5_K (ggml's AVX2 vec_dot order): acc_l = fma(da*dw, lane_l, acc_l);
// summs = fma(-(da*dmin), imin, summs); hsum8(acc) + summs.
float dot_q5_K(const BlockQ5_K* x, const BlockQ8_K* a, int64_t nb) {
  float acc[8] = {}, summs = 0.0f;
  uint8_t q[256];
  int sc[8], m[8], lanes[8];
  for (int64_t i = 0; i < nb; ++i) {
    levels_q5_K(x[i], q);
    scales_mins(x[i].scales, sc, m);
    lane_sums(q, a[i].qs, [&](int v, int) { return sc[v]; }, lanes);
    const float d = a[i].d * fp16_to_fp32(x[i].d);
    for (int l = 0; l < 8; ++l) acc[l] = fmaf_exact(d, float(lanes[l]), acc[l]);
    summs = fmaf_exact(-(a[i].d * fp16_to_fp32(x[i].dmin)), float(mins_dot_bsums(m, a[i])), summs);
  }
  return hsum8(acc) + summs;
}

// Q6_K (ggml's AVX2 vec_dot order): groups of 16, so vector v's lanes 0..3 use
// scale 2v and lanes 4..7 scale 2v+1; lane l then subtracts
// 32 * (scale[2l]*bsum[2l] + scale[2l+1]*bsum[2l+1]); acc_l = fma(da*dw, lane_l, acc_l).
float dot_q6_K(const BlockQ6_K* x, const BlockQ8_K* a, int64_t nb) {
  float acc[8] = {};
  uint8_t q[256];
  int lanes[8];
  for (int64_t i = 0; i < nb; ++i) {
    levels_q6_K(x[i], q);
    const int8_t* sc = x[i].scales;
    lane_sums(q, a[i].qs, [&](int v, int l) { return int(sc[2 * v + (l >= 4)]); }, lanes);
    const float d = a[i].d * fp16_to_fp32(x[i].d);
    for (int l = 0; l < 8; ++l) {
      const int off = 32 * (int(sc[2 * l]) * a[i].bsums[2 * l] + int(sc[2 * l + 1]) * a[i].bsums[2 * l + 1]);
      acc[l] = fmaf_exact(d, float(lanes[l] - off), acc[l]);
    }
  }
  return hsum8(acc);
}

// Q3_K (ggml's AVX2 vec_dot order): signed levels -4..3, scales as Q6_K's (vector v's
// lanes 0..3 scale 2v, 4..7 scale 2v+1), no offset; acc_l = fma(da*dw, lane_l, acc_l).
float dot_q3_K(const BlockQ3_K* x, const BlockQ8_K* a, int64_t nb) {
  float acc[8] = {};
  int8_t q[256];
  int sc[16], lanes[8];
  for (int64_t i = 0; i < nb; ++i) {
    for (int e = 0; e < 256; ++e) {
      const int c = e / 128, j = (e % 128) / 32, l = e % 32;
      const int low = (x[i].qs[32 * c + l] >> (2 * j)) & 3, bit = (x[i].hmask[l] >> (4 * c + j)) & 1;
      q[e] = int8_t(low - (bit ? 0 : 4));
    }
    for (int s = 0; s < 16; ++s) sc[s] = q3_K_scale(x[i].scales, s) - 32;
    lane_sums(q, a[i].qs, [&](int v, int l) { return sc[2 * v + (l >= 4)]; }, lanes);
    const float d = a[i].d * fp16_to_fp32(x[i].d);
    for (int l = 0; l < 8; ++l) acc[l] = fmaf_exact(d, float(lanes[l]), acc[l]);
  }
  return hsum8(acc);
}

// Q2_K: levels 0..3, scale (low nibble) per 16 elements. lanes[c][l]: the exact sum
// over vectors v = 4c..4c+3 (32 elements each, the 128-element half c) of scale *
// (q * q8 over elements 4l..4l+3 of v), where vector v's lanes 0..3 take sub-block 2v
// and 4..7 sub-block 2v + 1 (as Q3_K's). mins[l] = min(2l) * bsums[2l] + min(2l + 1) *
// bsums[2l + 1] (ggml's madd of mins and bsums: lanes 0..3 half 0, 4..7 half 1).
void sums_q2_K(const BlockQ2_K& b, const BlockQ8_K& a, int lanes[2][8], int mins[8]) {
  for (int c = 0; c < 2; ++c)
    for (int l = 0; l < 8; ++l) {
      int s = 0;
      for (int v = 4 * c; v < 4 * c + 4; ++v) {
        int p = 0;
        for (int e = 32 * v + 4 * l; e < 32 * v + 4 * l + 4; ++e) p += q2_K_level(b, e) * int(a.qs[e]);
        s += int(b.scales[2 * v + (l >= 4)] & 0xF) * p;
      }
      lanes[c][l] = s;
    }
  for (int l = 0; l < 8; ++l)
    mins[l] = int(b.scales[2 * l] >> 4) * int(a.bsums[2 * l]) + int(b.scales[2 * l + 1] >> 4) * int(a.bsums[2 * l + 1]);
}

// Q2_K, ggml's AVX2 vec_dot order: per super-block acc_l = fma(-da*dmin, mins_l, acc_l),
// then acc_l = fma(da*dw, lane_l, acc_l) (both halves' lanes added); hsum8(acc).
float dot_q2_K(const BlockQ2_K* x, const BlockQ8_K* a, int64_t nb) {
  float acc[8] = {};
  int lanes[2][8], mins[8];
  for (int64_t i = 0; i < nb; ++i) {
    sums_q2_K(x[i], a[i], lanes, mins);
    const float d = a[i].d * fp16_to_fp32(x[i].d), dmin = -a[i].d * fp16_to_fp32(x[i].dmin);
    for (int l = 0; l < 8; ++l) acc[l] = fmaf_exact(dmin, float(mins[l]), acc[l]);
    for (int l = 0; l < 8; ++l) acc[l] = fmaf_exact(d, float(lanes[0][l] + lanes[1][l]), acc[l]);
  }
  return hsum8(acc);
}

// Q2_K, llama.cpp's repacked (q2_K_8x8, AVX-512 CPUs) orders: exact integer sums isum
// (scale * q * q8) and imin (min * bsums) per super-block (gemv, kHalves false) or
// per 128-element half (gemm, groups of 4 tokens); acc = fma(float(isum), dw*da,
// acc), accm = fma(float(imin), dmin*da, accm) per sum; result acc - accm.
template <bool kHalves>
float dot_q2_K_repacked(const BlockQ2_K* x, const BlockQ8_K* a, int64_t nb) {
  float acc = 0.0f, accm = 0.0f;
  int lanes[2][8], mins[8];
  for (int64_t i = 0; i < nb; ++i) {
    sums_q2_K(x[i], a[i], lanes, mins);
    const float d = fp16_to_fp32(x[i].d) * a[i].d, dmin = fp16_to_fp32(x[i].dmin) * a[i].d;
    int isum[2] = {0, 0}, imin[2] = {0, 0};
    for (int c = 0; c < 2; ++c)
      for (int l = 0; l < 8; ++l) isum[c] += lanes[c][l];
    for (int l = 0; l < 8; ++l) imin[l / 4] += mins[l];
    if (kHalves) {
      for (int c = 0; c < 2; ++c) {
        acc = fmaf_exact(float(isum[c]), d, acc);
        accm = fmaf_exact(float(imin[c]), dmin, accm);
      }
    } else {
      acc = fmaf_exact(float(isum[0] + isum[1]), d, acc);
      accm = fmaf_exact(float(imin[0] + imin[1]), dmin, accm);
    }
  }
  return acc - accm;
}
float dot_q2_K_gemv(const BlockQ2_K* x, const BlockQ8_K* a, int64_t nb) { return dot_q2_K_repacked<false>(x, a, nb); }
float dot_q2_K_gemm(const BlockQ2_K* x, const BlockQ8_K* a, int64_t nb) { return dot_q2_K_repacked<true>(x, a, nb); }

// IQ4_XS: levels kIq4nlValues[nibble] (signed), scale - 32 per 32-element vector.
// The 8 lanes of ggml's AVX2 vec_dot: lane l = sum over vectors of scale * (q*q8 over
// elements 4l..4l+3).
void lanes_iq4_xs(const BlockIQ4_XS& b, const BlockQ8_K& a, int lanes[8]) {
  int8_t q[256];
  for (int s = 0; s < 8; ++s)
    for (int j = 0; j < 16; ++j) {
      q[32 * s + j] = kIq4nlValues[b.qs[16 * s + j] & 0xF];
      q[32 * s + j + 16] = kIq4nlValues[b.qs[16 * s + j] >> 4];
    }
  lane_sums(q, a.qs, [&](int v, int) { return iq4_xs_scale(b, v); }, lanes);
}

// IQ4_XS, ggml's AVX2 vec_dot order: acc_l = fma(dw*da, lane_l, acc_l); hsum8(acc).
float dot_iq4_xs(const BlockIQ4_XS* x, const BlockQ8_K* a, int64_t nb) {
  float acc[8] = {};
  int lanes[8];
  for (int64_t i = 0; i < nb; ++i) {
    lanes_iq4_xs(x[i], a[i], lanes);
    const float d = fp16_to_fp32(x[i].d) * a[i].d;
    for (int l = 0; l < 8; ++l) acc[l] = fmaf_exact(d, float(lanes[l]), acc[l]);
  }
  return hsum8(acc);
}

// IQ4_XS, llama.cpp's IQ panel order (its mul_mat of 8 tokens or more): per
// super-block one exact sum of the lanes; acc = fma(float(sum), dw*da, acc).
float dot_iq4_xs_panel(const BlockIQ4_XS* x, const BlockQ8_K* a, int64_t nb) {
  float acc = 0.0f;
  int lanes[8];
  for (int64_t i = 0; i < nb; ++i) {
    lanes_iq4_xs(x[i], a[i], lanes);
    int isum = 0;
    for (int l = 0; l < 8; ++l) isum += lanes[l];
    acc = fmaf_exact(float(isum), fp16_to_fp32(x[i].d) * a[i].d, acc);
  }
  return acc;
}

template <class Block, float (*Dot)(const Block*, const BlockQ8_K*, int64_t)>
void dot_tile(const DotTile& t) {
  for (int k = 0; k < t.n_act; ++k)
    for (int r = 0; r < t.n_w; ++r)
      t.out[size_t(k) * t.out_stride + size_t(r)] =
          Dot(reinterpret_cast<const Block*>(t.w + size_t(r) * t.w_stride),
              reinterpret_cast<const BlockQ8_K*>(t.act + size_t(k) * t.act_stride), t.n / kQKK);
}

}  // namespace

void dot_q2_K_scalar(const DotTile& t) { dot_tile<BlockQ2_K, dot_q2_K>(t); }
void dot_q2_K_repack_scalar(const DotTile& t) { dot_tile<BlockQ2_K, dot_q2_K_gemv>(t); }
void dot_q2_K_gemm_scalar(const DotTile& t) { dot_tile<BlockQ2_K, dot_q2_K_gemm>(t); }
void dot_q3_K_scalar(const DotTile& t) { dot_tile<BlockQ3_K, dot_q3_K>(t); }
void dot_q4_K_scalar(const DotTile& t) { dot_tile<BlockQ4_K, dot_q4_K>(t); }
void dot_q4_K_gemm_scalar(const DotTile& t) { dot_tile<BlockQ4_K, dot_q4_K_gemm>(t); }
void dot_q5_K_scalar(const DotTile& t) { dot_tile<BlockQ5_K, dot_q5_K>(t); }
void dot_q6_K_scalar(const DotTile& t) { dot_tile<BlockQ6_K, dot_q6_K>(t); }
void dot_iq4_xs_scalar(const DotTile& t) { dot_tile<BlockIQ4_XS, dot_iq4_xs>(t); }
void dot_iq4_xs_panel_scalar(const DotTile& t) { dot_tile<BlockIQ4_XS, dot_iq4_xs_panel>(t); }

}  // namespace kernels
}  // namespace tome
