// Internal: the end of knn_batch's tile kernels (knn_batch_avx2.cpp,
// knn_batch_avx512.cpp), shared by both: the scores a tile's compare flagged
// go into the query's top buffer (topk.h's topbuf_push).
// For the ISA files only. A full buffer is cut back by knn_topbuf_compact, out of line
// in plain code: instanced here, select_best's std:: templates would be weak symbols
// built with the file's ISA flags, and the linker may hand one copy to plain code
// (which then faults on a CPU without that ISA). The epilogue itself is in an
// anonymous namespace for the same reason.
#pragma once
#include <cstdint>

#include "retrieval/knn_batch.h"
#include "retrieval/topk.h"

namespace tome {
namespace {

// The knn_batch tiles' epilogue: scores[j] for each bit j of mask (ids
// first_id + j, lowest bit first so ids ascend) that is still above thr (a
// push may have raised it) goes into the buffer b (capacity cap).
inline void topbuf_push_mask(uint32_t mask, const float* scores, int32_t first_id, Scored* b, int& size, int k,
                             int cap, float& thr) {
  while (mask) {
    const int j = __builtin_ctz(mask);
    mask &= mask - 1;
    if (!(scores[j] > thr)) continue;
    b[size++] = Scored{scores[j], first_id + j};
    if (size == cap) knn_topbuf_compact(b, size, k, thr);
  }
}

}  // namespace
}  // namespace tome
