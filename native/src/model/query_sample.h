// Which prefill positions keep their queries for the retrieval indexes' build.
//
// A position p is sampled when p % stride == 0 (the query_sample setting: every
// query head of the position, n_gqa rows per (layer, KV head)). At a query
// level J > 0 only the sampled positions whose priority (a hash of p, the same
// for every layer and head) is at most threshold(J) ~ 2^64 (15/16)^J are kept.
// A build uses at most training_queries_wanted(keys) rows per index (a random
// subset of what was kept), so a read whose length is known in advance keeps
// about that many instead of every sampled position: at 128K tokens on an 8B
// model (4 query heads a group) 25% of the positions are 131K rows per index,
// as large as the indexed layers' K/V (16 GiB in RAM and in the store until
// the build), where the build uses 32K.
//
// Everything here is a pure function of positions, so a read resumed from its
// store, cut back and read again, or read layer by layer keeps the same rows.
#pragma once
#include <cstdint>

namespace tome {

// The highest level a session accepts ((15/16)^255 ~ 7e-8 of the positions).
constexpr int kMaxQueryLevel = 255;

// The training queries a build over n_keys keys uses at most: 3/10 as many as
// keys, at least 4096, at most 32K (retrieval_attention.cpp: why).
int64_t training_queries_wanted(int64_t n_keys);

uint64_t query_priority(int64_t pos);
// threshold(0) keeps every sampled position; each level keeps 15/16 of the one before.
uint64_t query_threshold(int level);
inline bool query_position_kept(int64_t pos, int64_t stride, uint64_t threshold) {
  return pos % stride == 0 && query_priority(pos) <= threshold;
}
// Kept positions in [0, n) at this level.
int64_t count_kept_positions(int64_t n, int64_t stride, int level);
// The highest level (<= kMaxQueryLevel) that keeps at least rows_wanted rows
// (rows_per_position each) of the positions in [0, n); 0 when even every
// sampled position gives fewer.
int query_level_for(int64_t n, int64_t stride, int64_t rows_per_position, int64_t rows_wanted);

}  // namespace tome
