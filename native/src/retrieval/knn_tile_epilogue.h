// Internal: the end of knn_batch's tile kernels (knn_batch_avx2.cpp,
// knn_batch_avx512.cpp), shared by both: the scores a tile's compare flagged
// go into the query's top buffer (topk.h).
#pragma once
#include <cstdint>

#include "retrieval/topk.h"

namespace tome {

// The knn_batch tiles' epilogue: scores[j] for each bit j of mask (ids
// first_id + j, lowest bit first so ids ascend) that is still above thr (a
// push may have raised it) goes into the buffer.
inline void topbuf_push_mask(uint32_t mask, const float* scores, int32_t first_id, Scored* b, int& size, int k,
                             int cap, float& thr) {
  while (mask) {
    const int j = __builtin_ctz(mask);
    mask &= mask - 1;
    if (scores[j] > thr) topbuf_push(b, size, k, cap, thr, Scored{scores[j], first_id + j});
  }
}

}  // namespace tome
