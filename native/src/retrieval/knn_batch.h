// Batched exact k-nearest-neighbour search by inner product: for each of m
// queries, the k keys with the largest q . k (+ an optional per-key bias).
// This is the expensive step of building the attention-aware graph (every
// prefill query's exact top-k keys) and of k-means assignment, so it is a
// blocked GEMM with the top-k selection fused into the micro-kernel:
//   - keys are packed once into panels of 16 keys, transposed (d, 16), so the
//     micro-kernel computes a (6 queries x 16 keys) tile of scores in 12 AVX2
//     registers with one broadcast + two FMAs per (query, dim), or with
//     AVX-512 a (12 queries x 32 keys) tile in 24 zmm registers;
//   - keys are processed in blocks that stay in L2 (~192 KiB) while every query
//     of the thread streams past them;
//   - each tile is compared against the per-query k-th best score (threshold) in
//     registers; only scores above it reach the query's top buffer (after the
//     first blocks almost none do), so no (m, n) score matrix is ever written;
//     the buffer (4k entries, cut back to k by a selection when full; with 2k the
//     selections were a fifth of the kNN's time, with 4k the kNN takes 4% less) costs
//     O(1) per candidate where a heap costs O(log k);
//   - queries are processed in chunks of 4096 per thread, so the buffers stay
//     small (2 threads x 4096 x 4k x 8 bytes) whatever m is.
// Threads split the queries (each owns its buffers: no sharing, no locks).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tome {

class ThreadPool;
struct Scored;

// Q: (m, d), row i at Q + i * ldq.  K: (n, d), row j at K + j * ldk.
// bias: (n) added to every score, or nullptr (k-means passes -|c|^2 / 2 so that
// the top-1 is the L2-nearest centroid).
// ids, scores: (m, k) row-major, best first (higher score; ties -> lower id).
// When n < k a row ends with id -1, score -inf. pool may be nullptr (one thread).
// kernel: which micro-kernel runs (tests compare them; every one gives the
// same ids and score bits): kAuto = the widest this CPU has, unless
// simd_enabled() is off (scalar). A kernel the CPU lacks falls back to kAuto.
enum class KnnKernel { kAuto, kScalar, kAvx2, kAvx512 };
void knn_batch(const float* Q, int64_t m, size_t ldq, const float* K, int64_t n, size_t ldk, int d, int k,
               const float* bias, int32_t* ids, float* scores, ThreadPool* pool,
               KnnKernel kernel = KnnKernel::kAuto);

// Internal: the AVX2 tile kernel (knn_batch_avx2.cpp). For the mr (1..6) query
// rows q[0..mr) and the n_panels packed panels starting at key id first_id,
// appends every score above the row's threshold to the row's top buffer
// (topk.h topbuf_push, capacity cap).
namespace avx2 {
constexpr int kKnnRowsAvx2 = 6;
void knn_tile(const float* const* q, int mr, const float* panels, const float* bias_packed, int n_panels, int d,
              int32_t first_id, Scored* const* bufs, int* buf_sizes, float* thresholds, int k, int cap);
}  // namespace avx2
// The AVX-512 tile (knn_batch_avx512.cpp): mr in 1..12.
namespace avx512 {
constexpr int kKnnRowsAvx512 = 12;
void knn_tile(const float* const* q, int mr, const float* panels, const float* bias_packed, int n_panels, int d,
              int32_t first_id, Scored* const* bufs, int* buf_sizes, float* thresholds, int k, int cap);
}  // namespace avx512
// Internal: topk.h's topbuf_compact built as plain code, for those tiles (knn_tile_epilogue.h).
void knn_topbuf_compact(Scored* b, int& size, int k, float& thr);

}  // namespace tome
