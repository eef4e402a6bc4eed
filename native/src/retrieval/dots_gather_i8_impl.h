// Internal: dots_gather_i8 and dots_gather_i8_multi (dot_kernels.h), shared by the
// AVX2, AVX512-VNNI and AVX-VNNI builds, included inside each one's namespace
// (tome::avx2, tome::vnni, tome::avxvnni) by its file, which is compiled with its own
// flags and includes <immintrin.h> first; internal linkage keeps the builds apart.
// The builds differ only in dot32 below, by the flags they are compiled with.
#pragma once

namespace {

// Adds the 32 products |q| x (the row with q's signs) to acc's int32 lanes, lane l
// the 4 products of bytes 4l..4l+3, exactly: vpdpbusd where the build has it, else
// vpmaddubsw (pairs of products, each pair within int16: 2 * 127 * 127 < 32768)
// widened by vpmaddwd against ones.
inline __m256i dot32(__m256i acc, __m256i qabs, __m256i qsgn, const int8_t* r) {
  const __m256i c = _mm256_sign_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r)), qsgn);
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(acc, qabs, c);
#elif defined(__AVXVNNI__)
  return _mm256_dpbusd_avx_epi32(acc, qabs, c);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(qabs, c), _mm256_set1_epi16(1)));
#endif
}

inline __m128i hsum4_i32(__m256i a, __m256i b, __m256i c, __m256i e) {
  const __m256i ab = _mm256_hadd_epi32(a, b);
  const __m256i ce = _mm256_hadd_epi32(c, e);
  const __m256i abce = _mm256_hadd_epi32(ab, ce);
  return _mm_add_epi32(_mm256_castsi256_si128(abce), _mm256_extracti128_si256(abce, 1));
}

inline void prefetch_code_row(const int8_t* r, int dp) {
  for (int b = 0; b < dp; b += 64) _mm_prefetch(reinterpret_cast<const char*>(r) + b, _MM_HINT_T0);
}

inline void gather_i8(const int8_t* qc, const int8_t* base, size_t stride, const int32_t* ids, int64_t n, int dp,
                      int32_t* out) {
  // One cache line per row (d <= 64): every row's load can be in flight at
  // once (a search scores ~13 new neighbours per expanded key), so they are
  // requested kAhead rows ahead, not a 4-row group ahead (which waited about
  // one memory latency per group).
  constexpr int64_t kAhead = 32;
  for (int64_t i = 0; i < n && i < kAhead; ++i) prefetch_code_row(base + size_t(ids[i]) * stride, dp);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int64_t p = i + kAhead; p < n && p < i + kAhead + 4; ++p) prefetch_code_row(base + size_t(ids[p]) * stride, dp);
    const int8_t* r0 = base + size_t(ids[i]) * stride;
    const int8_t* r1 = base + size_t(ids[i + 1]) * stride;
    const int8_t* r2 = base + size_t(ids[i + 2]) * stride;
    const int8_t* r3 = base + size_t(ids[i + 3]) * stride;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (int j = 0; j < dp; j += 32) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qc + j));
      const __m256i qa = _mm256_abs_epi8(q);
      a0 = dot32(a0, qa, q, r0 + j);
      a1 = dot32(a1, qa, q, r1 + j);
      a2 = dot32(a2, qa, q, r2 + j);
      a3 = dot32(a3, qa, q, r3 + j);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), hsum4_i32(a0, a1, a2, a3));
  }
  for (; i < n; ++i) {
    const int8_t* r = base + size_t(ids[i]) * stride;
    __m256i a = _mm256_setzero_si256();
    for (int j = 0; j < dp; j += 32) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qc + j));
      a = dot32(a, _mm256_abs_epi8(q), q, r + j);
    }
    const __m256i z = _mm256_setzero_si256();
    out[i] = _mm_cvtsi128_si32(hsum4_i32(a, z, z, z));
  }
}

// The n_q query codes qc (n_q rows of dp) against each gathered row, the row
// loaded once for all of them (a GQA group's heads in one traversal,
// graph_search_joint.cpp): out[h * n + i] = qc_h . row_{ids[i]}. Heads in
// fours, one accumulator each, summed together (one hsum per row and four heads).
inline void gather_i8_multi(const int8_t* qc, int n_q, const int8_t* base, size_t stride, const int32_t* ids,
                            int64_t n, int dp, int32_t* out) {
  constexpr int64_t kAhead = 32;
  for (int64_t i = 0; i < n && i < kAhead; ++i) prefetch_code_row(base + size_t(ids[i]) * stride, dp);
  alignas(16) int32_t sums[4];
  for (int64_t i = 0; i < n; ++i) {
    if (i + kAhead < n) prefetch_code_row(base + size_t(ids[i + kAhead]) * stride, dp);
    const int8_t* r = base + size_t(ids[i]) * stride;
    for (int h0 = 0; h0 < n_q; h0 += 4) {
      const int m = n_q - h0 < 4 ? n_q - h0 : 4;
      __m256i a[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
      for (int j = 0; j < dp; j += 32)
        for (int h = 0; h < m; ++h) {
          const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qc + size_t(h0 + h) * size_t(dp) + j));
          a[h] = dot32(a[h], _mm256_abs_epi8(q), q, r + j);
        }
      _mm_store_si128(reinterpret_cast<__m128i*>(sums), hsum4_i32(a[0], a[1], a[2], a[3]));
      for (int h = 0; h < m; ++h) out[size_t(h0 + h) * size_t(n) + size_t(i)] = sums[h];
    }
  }
}

}  // namespace

void dots_gather_i8(const int8_t* qc, const int8_t* base, size_t stride, const int32_t* ids, int64_t n, int dp,
                    int32_t* out) {
  gather_i8(qc, base, stride, ids, n, dp, out);
}
void dots_gather_i8_multi(const int8_t* qc, int n_q, const int8_t* base, size_t stride, const int32_t* ids, int64_t n,
                          int dp, int32_t* out) {
  gather_i8_multi(qc, n_q, base, stride, ids, n, dp, out);
}
