// NavCodes: a compact int8 copy of a graph index's keys that decode-time
// searches navigate by (RoarGraphIndex::search). A search is bound by the
// latency of the cold key rows it scores (a few thousand random rows of an
// index that no cache holds); an f16 row of d = 64 is 128 bytes (two cache
// lines), its code one 64-byte-aligned line. The f16 keys stay the truth: the
// search reranks its final beam by exact f16 scores, so the ids and scores it
// returns are exact ones (only which keys the beam visits can differ).
//
// Scale per channel (dimension), not per row: a per-row scale would be a
// second random read per scored key (its own cache line), while channel scales
// fold into the query once per search:
//   code c_ji = round(k_ji / s_i), clamped to [-127, 127]
//   s_i       = max |k_ji| / 127 over the first min(n, kScaleRows) rows (1 when 0)
//   query     q'_i = q_i s_i, qc_i = round(q'_i / t), t = max |q'_i| / 127
//   q . k_j  ~ t * sum_i qc_i c_ji      (the kernel's exact int32 sum)
// The scales are a function of the keys alone (the first kScaleRows rows, which
// appends never change), so an index restored from an image (which carries no
// codes: they are recomputed from the keys) navigates exactly as the one that
// wrote it. While an index holds fewer than kScaleRows keys, an append that
// raises a channel's maximum requantizes every row. Later keys beyond a
// channel's range are clamped: navigation only, the rerank is exact.
//
// Storage: rows of `stride()` bytes (d rounded up to 32; the padding is 0),
// 64-byte aligned, huge pages from 2 MiB (one TLB entry per 2 MiB of rows).
// Under a RAM budget too small for them (a sixth of a resident index's
// bytes at head dim 64, most of what a paged one keeps in RAM), the rows
// page out to a record file (page_out), one record a row, and searches read
// them through a cache of rows (record_cache.h): the same bytes, so the same
// sums and the same beams, only slower.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/huge_pages.h"
#include "retrieval/record_cache.h"

namespace tome {

class KeyMatrix;

class NavCodes {
 public:
  static constexpr int64_t kScaleRows = 4096;

  NavCodes() = default;

  int dim() const { return d_; }
  int stride() const { return stride_; }
  int64_t rows() const {
    if (pager_) return pager_->size();
    return stride_ ? int64_t(codes_.size() / size_t(stride_)) : 0;
  }
  // Resident only (null while paged).
  const int8_t* data() const { return pager_ ? nullptr : codes_.data(); }
  const int8_t* row(int64_t j) const { return data() + size_t(j) * size_t(stride_); }
  const std::vector<float>& scales() const { return scale_; }
  // RAM: the rows held (room reserved past them is address space, not yet
  // touched), or while paged the cache of rows
  size_t bytes() const {
    return (pager_ ? pager_->ram_bytes() : huge_pages::mapped_bytes(codes_.size())) + 3 * size_t(d_) * sizeof(float);
  }
  // RAM the rows take resident (what page_in() allocates).
  size_t resident_bytes() const {
    return huge_pages::mapped_bytes(size_t(rows()) * size_t(stride_)) + 3 * size_t(d_) * sizeof(float);
  }

  // out[h * n + i] = qc_h . code(ids[i]) (the exact int32 sum) for the n_q
  // query codes qc (n_q, stride()): resident, gathered in place; paged, the n
  // rows copied through the cache once for all n_q.
  void dots(const int8_t* qc, int n_q, const int32_t* ids, int64_t n, int32_t* out) const;

  // Paging: every row written to records [first, first + capacity) of file
  // (record_bytes() == stride(); capacity: the most rows the codes may reach)
  // and released; false (nothing changed) when a write failed. page_in reads
  // them back.
  bool page_out(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity);
  void page_in();
  bool paged() const { return pager_ != nullptr; }
  RecordCache* pager() const { return pager_.get(); }

  // Codes for every row of keys (replaces any held).
  void assign(const KeyMatrix& keys);
  // Codes for keys' rows [rows(), keys.rows()) (keys grew by appends).
  void extend(const KeyMatrix& keys);
  // Codes for the rows of `more`, which follow the rows held (a paged index's
  // new keys, its others not in RAM); when they move the scales (below
  // kScaleRows), every row is requantized from all_keys() (all rows, more's last).
  void append(const KeyMatrix& more, const std::function<KeyMatrix()>& all_keys);

  // The query as codes (stride() values, padding 0) and its scale t (above).
  // False when q holds a non-finite value (or overflows once scaled): the
  // caller navigates by the f16 keys instead.
  bool encode_query(const float* q, int8_t* qc, float* t) const;

 private:
  // Folds rows [begin, min(end, kScaleRows)) into the channel maxima; true
  // when the scales changed (or were unset).
  // (rows [begin, end) are keys' rows [begin - first, end - first))
  bool update_scales(const KeyMatrix& keys, int64_t begin, int64_t end, int64_t first = 0);
  void quantize_rows(const KeyMatrix& keys, int64_t begin, int64_t end, int64_t first = 0);
  // Rows [begin, end) of keys' codes into out (end - begin rows).
  void quantize_into(const KeyMatrix& keys, int64_t begin, int64_t end, int64_t first, int8_t* out) const;
  void append_paged(const KeyMatrix& more, const std::function<KeyMatrix()>& all_keys);

  int d_ = 0, stride_ = 0;
  std::vector<float> max_;    // (d) channel maxima of the first kScaleRows rows
  std::vector<float> scale_;  // (d) s_i
  std::vector<float> inv_;    // (d) 1 / s_i
  HugeVector<int8_t> codes_;  // (n, stride); empty while paged
  std::unique_ptr<RecordCache> pager_;  // set while paged out
};

}  // namespace tome
