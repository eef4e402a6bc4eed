// KeyMatrix views (key_matrix.h) and graph indexes that read their keys in
// place from shared rows (GraphBuildParams::shared_keys):
//   - a view reads the rows it is given, grows only by the rows that follow
//     (a different row is an INTERNAL error that leaves it unchanged), costs
//     no bytes, and own() turns it into an equal, independent copy;
//   - a graph built over shared rows answers every search exactly as one
//     built over its own copy, before and after inserts, in 128 bytes a key
//     (d 64) less; own_keys() keeps the answers when the rows go.
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/fp16.h"
#include "retrieval/key_matrix.h"
#include "retrieval/roar_graph.h"
#include "retrieval_test_util.h"

using namespace tome;

namespace {

std::vector<uint16_t> to_f16(const std::vector<float>& v) {
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = fp32_to_fp16(v[i]);
  return h;
}

}  // namespace

TEST(a_view_reads_in_place_grows_by_the_next_rows_and_owns_a_copy) {
  const int d = 16;
  const int64_t n = 40;
  std::vector<float> f = rt::gaussian_f16(size_t(n) * d, 3);
  std::vector<uint16_t> rows = to_f16(f);
  KeyMatrix m = KeyMatrix::view(rows.data(), 10, d);
  CHECK(m.is_view());
  CHECK_EQ(m.rows(), int64_t(10));
  CHECK(m.data() == rows.data());
  CHECK_EQ(m.bytes(), size_t(0));
  CHECK_EQ(m.append_f16(rows.data() + 10 * d, 5, size_t(d)), int64_t(10));  // the rows themselves
  CHECK_EQ(m.append(f.data() + 15 * d, 5, size_t(d)), int64_t(15));        // their values as f32
  CHECK_EQ(m.rows(), int64_t(20));
  std::vector<uint16_t> other(rows.begin() + 30 * d, rows.begin() + 31 * d);  // not row 20
  CHECK_THROWS_CODE(m.append_f16(other.data(), 1, size_t(d)), "INTERNAL");
  CHECK_EQ(m.rows(), int64_t(20));
  std::vector<float> row(d);
  m.row_f32(7, row.data());
  for (int i = 0; i < d; ++i) CHECK_EQ(row[size_t(i)], f[size_t(7 * d + i)]);
  m.own();
  CHECK(!m.is_view());
  CHECK(m.data() != rows.data());
  CHECK_EQ(m.rows(), int64_t(20));
  CHECK(m.bytes() >= size_t(20 * d) * sizeof(uint16_t));
  CHECK(std::memcmp(m.data(), rows.data(), size_t(20 * d) * sizeof(uint16_t)) == 0);
  std::fill(rows.begin(), rows.end(), uint16_t(0));  // the owner's rows go: the copy stays
  m.row_f32(7, row.data());
  for (int i = 0; i < d; ++i) CHECK_EQ(row[size_t(i)], f[size_t(7 * d + i)]);
  CHECK_EQ(m.append(f.data() + 20 * d, 1, size_t(d)), int64_t(20));  // a copy appends as before
}

TEST(a_graph_over_shared_rows_answers_as_one_over_its_own_copy) {
  const int d = 64, k = 10;
  const int64_t n = 3000, n_all = 3400, m = 2000;
  std::vector<float> keys = rt::gaussian_f16(size_t(n_all) * d, 11);
  std::vector<float> queries = rt::gaussian(size_t(m) * d, 12);
  std::vector<uint16_t> cache = to_f16(keys);  // the KV cache's K rows
  GraphBuildParams p;
  p.n_anchors = 64;
  auto own = RoarGraphIndex::build(keys.data(), n, size_t(d), d, queries.data(), m, size_t(d), p, nullptr);
  p.shared_keys = cache.data();
  auto shared = RoarGraphIndex::build(keys.data(), n, size_t(d), d, queries.data(), m, size_t(d), p, nullptr);
  CHECK(shared->key_rows().is_view());
  CHECK_EQ(own->bytes() - shared->bytes(), own->key_rows().bytes());
  CHECK(own->key_rows().bytes() >= size_t(n) * d * sizeof(uint16_t));
  auto same_answers = [&](uint64_t seed) {
    std::vector<float> q = rt::gaussian(size_t(50) * d, seed);
    SearchParams sp;
    sp.k = k;
    for (int i = 0; i < 50; ++i) {
      SearchResult a, b;
      own->search(q.data() + size_t(i) * d, sp, a);
      shared->search(q.data() + size_t(i) * d, sp, b);
      CHECK(a.ids == b.ids);
      CHECK(a.scores == b.scores);
      CHECK_EQ(a.keys_scanned, b.keys_scanned);
    }
  };
  same_answers(13);
  for (int64_t j = n; j < n_all; ++j) {  // decode: keys that leave the window
    CHECK_EQ(own->insert(keys.data() + size_t(j) * d), int32_t(j));
    CHECK_EQ(shared->insert_f16(cache.data() + size_t(j) * d), int32_t(j));
  }
  CHECK_EQ(shared->size(), n_all);
  same_answers(14);
  shared->own_keys();  // before the rows may go
  std::fill(cache.begin(), cache.end(), uint16_t(0));
  CHECK(!shared->key_rows().is_view());
  same_answers(15);
}

TOME_TEST_MAIN()
