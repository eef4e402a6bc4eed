// The order in which llama.cpp's CPU backend sums the f16 dot products of
// attention (q.k over head dims, p.v over keys). Those products are exact in
// f32, so the order is the only difference left between two engines; tome
// follows the order of the llama.cpp build this CPU would load, so that full
// attention agrees with llama.cpp bit for bit:
//   one query  (ggml_vec_dot_f16): `lanes` accumulators, element i on lane
//              i % lanes by fma, lanes reduced pairwise by halving (the AVX2
//              build sums its last four lanes as (0+1)+(2+3)), elements past
//              the last whole group of lanes added in double;
//   >= 2 queries (llamafile's tinyBLAS): one SIMD register of lanes, fma per
//              lane over the whole length, halving reduction.
// AVX-512 builds use 64 / 16 lanes, AVX2 builds 32 / 8; without SIMD, ggml sums
// in double (lanes = 0).
#pragma once
#include <cstdint>
#include <vector>

namespace tome {

struct SumOrder {
  int lanes = 0;           // 0: every product added in double, in order
  bool pair_tail = false;  // last four lanes summed as (0+1)+(2+3)
};

SumOrder one_query_order();
SumOrder batch_order();
inline SumOrder order_for(int64_t n_queries) { return n_queries >= 2 ? batch_order() : one_query_order(); }

// sum_i a[i] * b[i] in that order.
float ordered_dot(const float* a, const float* b, int64_t n, const SumOrder& o);

// p.v over keys for one query row: add(j, p, v) for keys j = 0, 1, 2, ... in
// order (key j on lane j % lanes), then finish(out).
class OrderedAccumulator {
 public:
  void reset(const SumOrder& o, int hd);
  void add(int64_t j, float p, const float* v);
  void finish(float* out);
  // The lane accumulators (lanes, hd) for kernels that add many keys at once
  // in the same order (batch_kernels.h).
  float* lane_rows() { return acc_.data(); }

 private:
  SumOrder o_;
  int hd_ = 0;
  std::vector<float> acc_;      // (lanes, hd)
  std::vector<double> tail_;    // (hd): keys added in double
};

namespace avx2 {
float ordered_dot(const float* a, const float* b, int64_t n, int lanes, bool pair_tail);
void fma_row(float* acc, float p, const float* v, int hd);
// OrderedAccumulator::finish's halving over the lane rows acc (lanes, hd) -> out (hd),
// 8 columns per instruction (the same additions, so the same bits).
void reduce_lane_rows(float* acc, int lanes, int hd, bool pair_tail, float* out);
}  // namespace avx2

}  // namespace tome
