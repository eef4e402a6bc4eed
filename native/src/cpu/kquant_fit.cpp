// The K-quants' asymmetric sub-block fit (kquant_fit.h): ggml's make_qkx2_quants one
// sub-block at a time, and four at a time on SSE2, lane by lane the same operations.
#include "cpu/kquant_fit.h"

#include <cmath>
#include <cstring>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

#include "cpu/kernels.h"

namespace tome {
namespace quantizers {

namespace {

using kernels::round_even;

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Fits x[i] ~ scale * L[i] - min_out with L[i] in [0, nmax] and min_out >= 0,
// minimizing sum w[i] * err^2. Starts from the range-based scaling, then tries
// iscale = (nmax + rmin + rdelta*k) / (hi - offset) for k = 0..nstep, refitting
// scale and offset by least squares on each candidate's L and keeping the best.
// As in ggml, the grid is anchored at the best offset found so far (not at the
// data minimum), so the candidates depend on the order they are tried in.
// The error is sum w[i] * err^2, or with abs_error (Q2_K) sum w[i] * |err|.
// Returns scale; n <= 32.
float fit_scale_min(int n, int nmax, const float* x, const float* w, uint8_t* L, float* min_out,
                    float rmin, float rdelta, int nstep, bool abs_error = false) {
  auto cost = [abs_error](float diff) { return abs_error ? std::fabs(diff) : diff * diff; };
  float lo = x[0], hi = x[0], sum_w = w[0], sum_x = w[0] * x[0];
  for (int i = 1; i < n; ++i) {  // comparisons, not fmin/fmax: -0 vs +0 as ggml
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (lo > 0) lo = 0;  // the offset only ever shifts down (min_out >= 0)
  if (hi == lo) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *min_out = -lo;
    return 0.0f;
  }
  float iscale = float(nmax) / (hi - lo);
  float scale = 1.0f / iscale;
  float best_err = 0.0f;
  for (int i = 0; i < n; ++i) {
    L[i] = uint8_t(clamp_int(round_even(iscale * (x[i] - lo)), 0, nmax));
    best_err += w[i] * cost(scale * float(L[i]) + lo - x[i]);
  }
  float offset = lo;  // x ~ scale*L + offset, offset <= 0
  uint8_t cand[32];
  for (int k = 0; k <= nstep; ++k) {
    const float is = (rmin + rdelta * float(k) + float(nmax)) / (hi - offset);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_int(round_even(is * (x[i] - offset)), 0, nmax);
      cand[i] = uint8_t(l);
      sum_l += w[i] * float(l);
      sum_l2 += w[i] * float(l) * float(l);
      sum_xl += w[i] * float(l) * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0)) continue;
    float s = (sum_w * sum_xl - sum_x * sum_l) / det;
    float o = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (o > 0) {  // a positive offset is not representable: refit scale alone
      o = 0;
      s = sum_xl / sum_l2;
    }
    float err = 0;
    for (int i = 0; i < n; ++i) err += w[i] * cost(s * float(cand[i]) + o - x[i]);
    if (err < best_err) {
      std::memcpy(L, cand, size_t(n));
      best_err = err;
      scale = s;
      offset = o;
    }
  }
  *min_out = -offset;
  return scale;
}

// Fits x[i] ~ scale * L[i] with L[i] in [-nmax, nmax-1] (stored as L + nmax),
// weights x^2, trying 19 scalings around -nmax/max. Returns scale (0 for an
// all-zero group). n <= 16.
float fit_symmetric(int n, int nmax, const float* x, uint8_t* L) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax < 1e-15f) {
    for (int i = 0; i < n; ++i) L[i] = uint8_t(nmax);
    return 0.0f;
  }
  auto evaluate = [&](float iscale, float* sumlx, float* suml2) {
    *sumlx = *suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_int(round_even(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      *sumlx += w * x[i] * float(l);
      *suml2 += w * float(l) * float(l);
    }
  };
  auto assign = [&](float iscale) {
    for (int i = 0; i < n; ++i) L[i] = uint8_t(nmax + clamp_int(round_even(iscale * x[i]), -nmax, nmax - 1));
  };
  float sumlx, suml2;
  float iscale = -float(nmax) / max;
  evaluate(iscale, &sumlx, &suml2);
  assign(iscale);
  float scale = suml2 > 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;  // the error reduction sum(w x^2) - err
  for (int k = -9; k <= 9; ++k) {
    if (k == 0) continue;
    iscale = -(float(nmax) + 0.1f * float(k)) / max;
    evaluate(iscale, &sumlx, &suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      assign(iscale);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

#if defined(__SSE2__) || defined(_M_X64)
// fit_scale_min for four sub-blocks, lane j sub-block j (x + j * n, w + j * n): each lane's
// sums in fit_scale_min's order, its branches as masks. A sub-block whose hi == lo runs
// along (its lanes' infinities discarded) and takes fit_scale_min's early answer at the end.
// The fit's latency chains (its sums) run four at a time: ~3x faster than one at a time.
void fit_scale_min_x4(int n, int nmax, const float* x, const float* w, uint8_t* L, float* scales, float* mins,
                      float rmin, float rdelta, int nstep, bool abs_error) {
  __m128 xv[32] = {}, wv[32] = {};
  for (int i = 0; i < n; ++i) {
    xv[i] = _mm_setr_ps(x[i], x[n + i], x[2 * n + i], x[3 * n + i]);
    wv[i] = _mm_setr_ps(w[i], w[n + i], w[2 * n + i], w[3 * n + i]);
  }
  const __m128 zero = _mm_setzero_ps();
  const __m128 sign = _mm_set1_ps(-0.0f);
  const __m128i izero = _mm_setzero_si128(), top = _mm_set1_epi32(nmax);
  auto cost = [&](__m128 d) { return abs_error ? _mm_andnot_ps(sign, d) : _mm_mul_ps(d, d); };
  auto blend = [](__m128 mask, __m128 a, __m128 b) { return _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b)); };
  auto blendi = [](__m128i mask, __m128i a, __m128i b) { return _mm_or_si128(_mm_and_si128(mask, a), _mm_andnot_si128(mask, b)); };
  auto level = [&](__m128 v) {  // clamp_int(round_even(v), 0, nmax): cvtps2dq rounds as round_even does
    __m128i l = _mm_cvtps_epi32(v);
    l = _mm_and_si128(l, _mm_cmpgt_epi32(l, izero));
    return blendi(_mm_cmpgt_epi32(l, top), top, l);
  };
  // minps / maxps keep the second operand unless the first is below / above: `if (x < lo) lo = x`
  __m128 lo = xv[0], hi = xv[0], sum_w = wv[0], sum_x = _mm_mul_ps(wv[0], xv[0]);
  for (int i = 1; i < n; ++i) {
    lo = _mm_min_ps(xv[i], lo);
    hi = _mm_max_ps(xv[i], hi);
    sum_w = _mm_add_ps(sum_w, wv[i]);
    sum_x = _mm_add_ps(sum_x, _mm_mul_ps(wv[i], xv[i]));
  }
  lo = _mm_andnot_ps(_mm_cmpgt_ps(lo, zero), lo);  // if (lo > 0) lo = 0 (a -0 stays)
  const __m128 flat = _mm_cmpeq_ps(hi, lo);
  const __m128 iscale = _mm_div_ps(_mm_set1_ps(float(nmax)), _mm_sub_ps(hi, lo));
  __m128 scale = _mm_div_ps(_mm_set1_ps(1.0f), iscale);
  __m128 best_err = zero;
  __m128i best[32], cand[32];
  for (int i = 0; i < n; ++i) {
    best[i] = level(_mm_mul_ps(iscale, _mm_sub_ps(xv[i], lo)));
    const __m128 d = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(scale, _mm_cvtepi32_ps(best[i])), lo), xv[i]);
    best_err = _mm_add_ps(best_err, _mm_mul_ps(wv[i], cost(d)));
  }
  __m128 offset = lo;
  for (int k = 0; k <= nstep; ++k) {
    const __m128 is = _mm_div_ps(_mm_set1_ps(rmin + rdelta * float(k) + float(nmax)), _mm_sub_ps(hi, offset));
    __m128 sum_l = zero, sum_l2 = zero, sum_xl = zero;
    for (int i = 0; i < n; ++i) {
      cand[i] = level(_mm_mul_ps(is, _mm_sub_ps(xv[i], offset)));
      const __m128 l = _mm_cvtepi32_ps(cand[i]), wl = _mm_mul_ps(wv[i], l);
      sum_l = _mm_add_ps(sum_l, wl);
      sum_l2 = _mm_add_ps(sum_l2, _mm_mul_ps(wl, l));
      sum_xl = _mm_add_ps(sum_xl, _mm_mul_ps(wl, xv[i]));
    }
    const __m128 det = _mm_sub_ps(_mm_mul_ps(sum_w, sum_l2), _mm_mul_ps(sum_l, sum_l));
    const __m128 fits = _mm_cmpgt_ps(det, zero);  // !(det > 0): the step is skipped
    __m128 s = _mm_div_ps(_mm_sub_ps(_mm_mul_ps(sum_w, sum_xl), _mm_mul_ps(sum_x, sum_l)), det);
    __m128 o = _mm_div_ps(_mm_sub_ps(_mm_mul_ps(sum_l2, sum_x), _mm_mul_ps(sum_l, sum_xl)), det);
    const __m128 above = _mm_cmpgt_ps(o, zero);  // a positive offset: scale alone refitted
    o = _mm_andnot_ps(above, o);
    s = blend(above, _mm_div_ps(sum_xl, sum_l2), s);
    __m128 err = zero;
    for (int i = 0; i < n; ++i) {
      const __m128 d = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(s, _mm_cvtepi32_ps(cand[i])), o), xv[i]);
      err = _mm_add_ps(err, _mm_mul_ps(wv[i], cost(d)));
    }
    const __m128 better = _mm_and_ps(fits, _mm_cmplt_ps(err, best_err));
    const __m128i take = _mm_castps_si128(better);
    for (int i = 0; i < n; ++i) best[i] = blendi(take, cand[i], best[i]);
    best_err = blend(better, err, best_err);
    scale = blend(better, s, scale);
    offset = blend(better, o, offset);
  }
  alignas(16) float sc[4], of[4], lw[4];
  alignas(16) int32_t li[32][4];
  _mm_store_ps(sc, scale);
  _mm_store_ps(of, offset);
  _mm_store_ps(lw, lo);
  for (int i = 0; i < n; ++i) _mm_store_si128(reinterpret_cast<__m128i*>(li[i]), best[i]);
  const int flat_lanes = _mm_movemask_ps(flat);
  for (int j = 0; j < 4; ++j) {
    const bool is_flat = flat_lanes >> j & 1;
    scales[j] = is_flat ? 0.0f : sc[j];
    mins[j] = is_flat ? -lw[j] : -of[j];
    for (int i = 0; i < n; ++i) L[j * n + i] = is_flat ? 0 : uint8_t(li[i][j]);
  }
}

// fit_symmetric for four sub-blocks, lane j sub-block j (x + j * n), as fit_scale_min_x4:
// each lane's sums in fit_symmetric's order, an all-zero sub-block's answer taken at the end.
void fit_symmetric_x4(int n, int nmax, const float* x, uint8_t* L, float* scales) {
  __m128 xv[16] = {};
  for (int i = 0; i < n; ++i) xv[i] = _mm_setr_ps(x[i], x[n + i], x[2 * n + i], x[3 * n + i]);
  const __m128 zero = _mm_setzero_ps(), sign = _mm_set1_ps(-0.0f);
  const __m128i least = _mm_set1_epi32(-nmax), most = _mm_set1_epi32(nmax - 1);
  auto blend = [](__m128 mask, __m128 a, __m128 b) { return _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b)); };
  auto blendi = [](__m128i mask, __m128i a, __m128i b) { return _mm_or_si128(_mm_and_si128(mask, a), _mm_andnot_si128(mask, b)); };
  __m128 amax = zero, max = zero;
  for (int i = 0; i < n; ++i) {
    const __m128 a = _mm_andnot_ps(sign, xv[i]), above = _mm_cmpgt_ps(a, amax);
    amax = blend(above, a, amax);
    max = blend(above, xv[i], max);
  }
  const __m128 blank = _mm_cmplt_ps(amax, _mm_set1_ps(1e-15f));
  __m128i cand[16], best[16];
  // sumlx = sum w x l, suml2 = sum w l l (w = x^2), for the levels of iscale, kept in cand
  auto evaluate = [&](__m128 iscale, __m128& sumlx, __m128& suml2) {
    sumlx = suml2 = zero;
    for (int i = 0; i < n; ++i) {
      __m128i l = _mm_cvtps_epi32(_mm_mul_ps(iscale, xv[i]));  // clamp_int(round_even(.), -nmax, nmax - 1)
      l = blendi(_mm_cmpgt_epi32(least, l), least, l);
      l = blendi(_mm_cmpgt_epi32(l, most), most, l);
      cand[i] = l;
      const __m128 lf = _mm_cvtepi32_ps(l), w = _mm_mul_ps(xv[i], xv[i]);
      sumlx = _mm_add_ps(sumlx, _mm_mul_ps(_mm_mul_ps(w, xv[i]), lf));
      suml2 = _mm_add_ps(suml2, _mm_mul_ps(_mm_mul_ps(w, lf), lf));
    }
  };
  __m128 sumlx, suml2;
  evaluate(_mm_div_ps(_mm_set1_ps(-float(nmax)), max), sumlx, suml2);
  for (int i = 0; i < n; ++i) best[i] = cand[i];
  __m128 scale = _mm_and_ps(_mm_cmpgt_ps(suml2, zero), _mm_div_ps(sumlx, suml2));
  __m128 most_reduced = _mm_mul_ps(scale, sumlx);  // the error reduction sum(w x^2) - err
  for (int k = -9; k <= 9; ++k) {
    if (k == 0) continue;
    evaluate(_mm_div_ps(_mm_set1_ps(-(float(nmax) + 0.1f * float(k))), max), sumlx, suml2);
    const __m128 better =
        _mm_and_ps(_mm_cmpgt_ps(suml2, zero), _mm_cmpgt_ps(_mm_mul_ps(sumlx, sumlx), _mm_mul_ps(most_reduced, suml2)));
    const __m128 s = _mm_div_ps(sumlx, suml2);
    const __m128i take = _mm_castps_si128(better);
    for (int i = 0; i < n; ++i) best[i] = blendi(take, cand[i], best[i]);
    scale = blend(better, s, scale);
    most_reduced = blend(better, _mm_mul_ps(s, sumlx), most_reduced);
  }
  alignas(16) float sc[4];
  alignas(16) int32_t li[16][4];
  _mm_store_ps(sc, scale);
  for (int i = 0; i < n; ++i) _mm_store_si128(reinterpret_cast<__m128i*>(li[i]), best[i]);
  const int blank_lanes = _mm_movemask_ps(blank);
  for (int j = 0; j < 4; ++j) {
    const bool is_blank = blank_lanes >> j & 1;
    scales[j] = is_blank ? 0.0f : sc[j];
    for (int i = 0; i < n; ++i) L[j * n + i] = uint8_t(is_blank ? nmax : nmax + li[i][j]);
  }
}
#endif

}  // namespace

void fit_scale_min_blocks_one_by_one(int count, int n, int nmax, const float* x, const float* w, uint8_t* L,
                                     float* scales, float* mins, float rmin, float rdelta, int nstep, bool abs_error) {
  for (int j = 0; j < count; ++j)
    scales[j] = fit_scale_min(n, nmax, x + j * n, w + j * n, L + j * n, &mins[j], rmin, rdelta, nstep, abs_error);
}

void fit_scale_min_blocks(int count, int n, int nmax, const float* x, const float* w, uint8_t* L, float* scales,
                          float* mins, float rmin, float rdelta, int nstep, bool abs_error) {
  int j = 0;
#if defined(__SSE2__) || defined(_M_X64)
  for (; j + 4 <= count; j += 4)
    fit_scale_min_x4(n, nmax, x + j * n, w + j * n, L + j * n, scales + j, mins + j, rmin, rdelta, nstep, abs_error);
#endif
  fit_scale_min_blocks_one_by_one(count - j, n, nmax, x + j * n, w + j * n, L + j * n, scales + j, mins + j, rmin,
                                  rdelta, nstep, abs_error);
}

void fit_symmetric_blocks_one_by_one(int count, int n, int nmax, const float* x, uint8_t* L, float* scales) {
  for (int j = 0; j < count; ++j) scales[j] = fit_symmetric(n, nmax, x + j * n, L + j * n);
}

void fit_symmetric_blocks(int count, int n, int nmax, const float* x, uint8_t* L, float* scales) {
  int j = 0;
#if defined(__SSE2__) || defined(_M_X64)
  for (; j + 4 <= count; j += 4) fit_symmetric_x4(n, nmax, x + j * n, L + j * n, scales + j);
#endif
  fit_symmetric_blocks_one_by_one(count - j, n, nmax, x + j * n, L + j * n, scales + j);
}

}  // namespace quantizers
}  // namespace tome
