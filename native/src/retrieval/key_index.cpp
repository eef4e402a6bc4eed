// KeyIndex defaults shared by every index: the GQA group search (union of the
// heads' top-k, or one search with the mean query) and the f16 insert path.
#include "retrieval/key_index.h"

#include <algorithm>
#include <cstring>

#include "attention/vec_kernels.h"
#include "retrieval/key_matrix.h"
#include "retrieval/topk.h"

namespace tome {

void KeyIndex::search_group(const float* q, int n_q, const SearchParams& p, SearchResult& out) const {
  out.clear();
  if (n_q <= 0) return;
  const int d = dim();
  if (n_q == 1) return search(q, p, out);
  if (p.group == GroupMode::kMean) {
    // One search with the group's mean query: top-k of sum_h q_h . k.
    std::vector<float> mean(size_t(d), 0.0f);
    for (int h = 0; h < n_q; ++h) axpy_f32(mean.data(), 1.0f / float(n_q), q + size_t(h) * d, d);
    return search(mean.data(), p, out);
  }
  // kUnion (and kJoint where the index has no joint search): one search per
  // head, union by id keeping each id's best score.
  std::vector<Scored> all;
  SearchResult one;
  for (int h = 0; h < n_q; ++h) {
    search(q + size_t(h) * d, p, one);
    for (size_t i = 0; i < one.ids.size(); ++i) all.push_back(Scored{one.scores[i], one.ids[i]});
    out.keys_scanned += one.keys_scanned;
    out.other_dots += one.other_dots;
  }
  dedup_best_first(all);
  out.set_results(all);
}

void SearchResult::set_results(const std::vector<Scored>& best_first) {
  ids.resize(best_first.size());
  scores.resize(best_first.size());
  for (size_t i = 0; i < best_first.size(); ++i) {
    ids[i] = best_first[i].id;
    scores[i] = best_first[i].score;
  }
}

void KeyIndex::copy_keys(int64_t begin, int64_t n, uint16_t* out) const {
  if (n > 0) std::memcpy(out, key_rows().row(begin), size_t(n) * size_t(dim()) * sizeof(uint16_t));
}

int32_t KeyIndex::insert_f16(const uint16_t* key) {
  std::vector<float> row(static_cast<size_t>(dim()));
  f16_to_f32_row(key, row.data(), dim());
  return insert(row.data());
}

}  // namespace tome
