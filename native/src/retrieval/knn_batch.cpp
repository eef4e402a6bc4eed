#include "retrieval/knn_batch.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "common/error.h"
#include "cpu/cpu_features.h"
#include "cpu/thread_pool.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/topk.h"

namespace tome {

namespace {

constexpr int kPanel = 16;             // keys per packed panel (two AVX2 registers, one zmm)
constexpr int kMaxRows = avx512::kKnnRowsAvx512;  // queries per micro-tile, at most
constexpr size_t kBlockBytes = 192 << 10;  // key block kept in L2
constexpr int64_t kQueryChunk = 4096;      // queries whose buffers are live at once (per thread)

// packed[(p * d + i) * 16 + jj] = K[p * 16 + jj][i], zero past n.
// bias_packed[j] = bias[j] (or 0), -inf past n so padding never enters a top list.
void pack_keys(const float* K, int64_t n, size_t ldk, int d, const float* bias, float* packed,
               float* bias_packed, int64_t n_panels, ThreadPool* pool) {
  auto body = [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      float* dst = packed + size_t(p) * size_t(d) * kPanel;
      for (int jj = 0; jj < kPanel; ++jj) {
        const int64_t j = p * kPanel + jj;
        if (j < n) {
          const float* src = K + size_t(j) * ldk;
          for (int i = 0; i < d; ++i) dst[size_t(i) * kPanel + jj] = src[i];
          bias_packed[j] = bias ? bias[j] : 0.0f;
        } else {
          for (int i = 0; i < d; ++i) dst[size_t(i) * kPanel + jj] = 0.0f;
          bias_packed[j] = -std::numeric_limits<float>::infinity();
        }
      }
    }
  };
  if (pool) pool->parallel_for(n_panels, body);
  else body(0, n_panels, 0);
}

// The kernel that runs: the one asked for where this CPU has it (and SIMD is
// not forced off), else the widest there is.
KnnKernel resolve(KnnKernel want) {
  const bool avx2 = simd_enabled(), avx512 = avx2 && cpu_features().avx512;
  if (want == KnnKernel::kScalar || (want == KnnKernel::kAvx2 && avx2) || (want == KnnKernel::kAvx512 && avx512))
    return want;
  return avx512 ? KnnKernel::kAvx512 : avx2 ? KnnKernel::kAvx2 : KnnKernel::kScalar;
}

}  // namespace

void knn_topbuf_compact(Scored* b, int& size, int k, float& thr) { topbuf_compact(b, size, k, thr); }

void knn_batch(const float* Q, int64_t m, size_t ldq, const float* K, int64_t n, size_t ldk, int d, int k,
               const float* bias, int32_t* ids, float* scores, ThreadPool* pool, KnnKernel kernel) {
  if (d <= 0 || k < 0 || m < 0 || n < 0) throw Error("BAD_ARGUMENT", "knn_batch: bad shape");
  if (m == 0 || k == 0) return;
  if (n > INT32_MAX) throw Error("BAD_ARGUMENT", "knn_batch: too many keys");
  kernel = resolve(kernel);
  const bool simd = kernel != KnnKernel::kScalar;
  const bool wide = kernel == KnnKernel::kAvx512;
  const int rows = wide ? avx512::kKnnRowsAvx512 : avx2::kKnnRowsAvx2;
  const int64_t n_panels = (n + kPanel - 1) / kPanel;
  std::vector<float> packed, bias_packed;
  if (simd && n > 0) {
    packed.resize(size_t(n_panels) * size_t(d) * kPanel);
    bias_packed.resize(size_t(n_panels) * kPanel);
    pack_keys(K, n, ldk, d, bias, packed.data(), bias_packed.data(), n_panels, pool);
  }
  const int64_t block_panels = std::max<int64_t>(1, int64_t(kBlockBytes / (size_t(d) * kPanel * sizeof(float))));
  const int cap = 4 * k;  // top buffer capacity per query

  // One chunk of queries [c0, c1): buffers (c1 - c0, cap), sizes, thresholds.
  auto run_chunk = [&](int64_t c0, int64_t c1, std::vector<Scored>& buf, std::vector<int>& sizes,
                       std::vector<float>& thr) {
    const int64_t nc = c1 - c0;
    buf.resize(size_t(nc) * size_t(cap));
    sizes.assign(size_t(nc), 0);
    thr.assign(size_t(nc), -std::numeric_limits<float>::infinity());
    if (simd) {
      const float* qrow[kMaxRows];
      Scored* brow[kMaxRows];
      for (int64_t b0 = 0; b0 < n_panels; b0 += block_panels) {
        const int64_t nb = std::min(block_panels, n_panels - b0);
        const float* panels = packed.data() + size_t(b0) * size_t(d) * kPanel;
        const float* bp = bias_packed.data() + size_t(b0) * kPanel;
        for (int64_t i = 0; i < nc; i += rows) {
          const int mr = int(std::min<int64_t>(rows, nc - i));
          for (int r = 0; r < mr; ++r) {
            qrow[r] = Q + size_t(c0 + i + r) * ldq;
            brow[r] = buf.data() + size_t(i + r) * size_t(cap);
          }
          (wide ? avx512::knn_tile : avx2::knn_tile)(qrow, mr, panels, bp, int(nb), d, int32_t(b0 * kPanel),
                                                     brow, sizes.data() + i, thr.data() + i, k, cap);
        }
      }
    } else {
      // Scalar reference path: blocks of rows, one dot at a time.
      const int64_t block_rows = block_panels * kPanel;
      std::vector<float> s(static_cast<size_t>(block_rows));
      for (int64_t j0 = 0; j0 < n; j0 += block_rows) {
        const int64_t nb = std::min(block_rows, n - j0);
        for (int64_t i = 0; i < nc; ++i) {
          dots_rows(Q + size_t(c0 + i) * ldq, K + size_t(j0) * ldk, ldk, nb, d, s.data());
          Scored* b = buf.data() + size_t(i) * size_t(cap);
          for (int64_t j = 0; j < nb; ++j) {
            const float v = s[size_t(j)] + (bias ? bias[j0 + j] : 0.0f);
            if (v > thr[size_t(i)]) topbuf_push(b, sizes[size_t(i)], k, cap, thr[size_t(i)], Scored{v, int32_t(j0 + j)});
          }
        }
      }
    }
    // Sorted output, padded when fewer than k keys exist.
    for (int64_t i = 0; i < nc; ++i) {
      Scored* b = buf.data() + size_t(i) * size_t(cap);
      int sz = sizes[size_t(i)];
      float t = thr[size_t(i)];
      topbuf_compact(b, sz, k, t);
      topk_sort(b, sz);
      int32_t* oi = ids + size_t(c0 + i) * size_t(k);
      float* os = scores ? scores + size_t(c0 + i) * size_t(k) : nullptr;
      for (int r = 0; r < k; ++r) {
        oi[r] = r < sz ? b[r].id : -1;
        if (os) os[r] = r < sz ? b[r].score : -std::numeric_limits<float>::infinity();
      }
    }
  };

  auto body = [&](int64_t q0, int64_t q1, int) {
    std::vector<Scored> buf;
    std::vector<int> sizes;
    std::vector<float> thr;
    for (int64_t c0 = q0; c0 < q1; c0 += kQueryChunk) run_chunk(c0, std::min(q1, c0 + kQueryChunk), buf, sizes, thr);
  };
  if (pool) pool->parallel_for(m, body);
  else body(0, m, 0);
}

}  // namespace tome
