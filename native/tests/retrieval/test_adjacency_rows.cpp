// AdjacencyRows (retrieval/adjacency_rows.h) against a dense (n, cap) model of
// the same lists: every list read back exactly (its ids, then -1 to the cap)
// through writes that grow and shrink lists across the head row's size, keys
// appended between them, tail rows reused once freed, the dense conversions
// both ways, and the searches' view of a list (AdjacencyRows::parts).
#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "retrieval/adjacency_rows.h"
#include "test_harness.h"

using namespace tome;

namespace {
constexpr int kCap = 48;

struct Model {  // the reference: dense rows and degrees
  std::vector<int32_t> rows;
  std::vector<uint16_t> deg;
  void grow(int64_t n) {
    rows.resize(size_t(n) * kCap, -1);
    deg.resize(size_t(n), 0);
  }
};

std::vector<int32_t> random_list(std::mt19937& rng, int deg, int64_t n) {
  std::vector<int32_t> l(static_cast<size_t>(deg));
  for (int32_t& x : l) x = int32_t(rng() % uint32_t(n));
  return l;
}

// Every list of a equals the model's, read back whole and through the search view.
bool same_as(const AdjacencyRows& a, const Model& m) {
  std::vector<int32_t> row(kCap);
  for (int64_t v = 0; v < int64_t(m.deg.size()); ++v) {
    a.read(int32_t(v), m.deg[size_t(v)], row.data());
    for (int i = 0; i < kCap; ++i)
      if (row[size_t(i)] != m.rows[size_t(v) * kCap + size_t(i)]) return false;
    const int32_t* head = a.heads() + size_t(v) * AdjacencyRows::kHead;
    const ListParts p = AdjacencyRows::parts(head, m.deg[size_t(v)], a.tails(), a.tail_stride());
    std::vector<int32_t> seen(head, head + p.n_row);
    seen.insert(seen.end(), p.tail, p.tail + p.n_tail);
    if (seen.size() != m.deg[size_t(v)]) return false;
    for (size_t i = 0; i < seen.size(); ++i)
      if (seen[i] != m.rows[size_t(v) * kCap + i]) return false;
  }
  return true;
}
}  // namespace

TEST(lists_read_back_exactly_through_growth_shrinking_and_appends) {
  std::mt19937 rng(7);
  AdjacencyRows a;
  a.reset(kCap);
  Model m;
  int64_t n = 200;
  a.grow(n);
  m.grow(n);
  for (int step = 0; step < 20000; ++step) {
    if (step % 500 == 499) {  // keys appended, empty
      n += 37;
      a.grow(n);
      m.grow(n);
    }
    const int32_t v = int32_t(rng() % uint32_t(n));
    // degrees around the head row's size most of the time, the whole range sometimes
    const int deg = rng() % 4 == 0 ? int(rng() % (kCap + 1)) : 12 + int(rng() % 10);
    const std::vector<int32_t> l = random_list(rng, deg, n);
    a.write(v, l.data(), deg);
    std::fill(m.rows.begin() + size_t(v) * kCap, m.rows.begin() + size_t(v + 1) * kCap, -1);
    std::copy(l.begin(), l.end(), m.rows.begin() + size_t(v) * kCap);
    m.deg[size_t(v)] = uint16_t(deg);
  }
  CHECK(same_as(a, m));
  // a tail row for each long list, no more (freed ones are taken again)
  int64_t long_lists = 0;
  for (uint16_t d : m.deg) long_lists += d > AdjacencyRows::kHead;
  CHECK_EQ(a.tails_used(), long_lists);
  CHECK(int64_t(a.rows()) == n);

  // dense both ways: the same lists, and the exact size a restored graph takes
  AdjacencyRows b;
  b.reset(kCap);
  b.assign_dense(m.rows.data(), m.deg.data(), n);
  CHECK(same_as(b, m));
  std::vector<int32_t> dense(size_t(n) * kCap, 7);
  b.read_dense(0, n, m.deg.data(), dense.data());
  CHECK(dense == m.rows);
  // a dense row read as searches read a paged graph's copies: the same lists
  bool dense_parts_same = true;
  for (int64_t v = 0; v < n; ++v) {
    const int32_t* row = dense.data() + size_t(v) * kCap;
    const ListParts p = AdjacencyRows::parts(row, m.deg[size_t(v)], nullptr, 0);
    std::vector<int32_t> seen(row, row + p.n_row);
    seen.insert(seen.end(), p.tail, p.tail + p.n_tail);
    dense_parts_same = dense_parts_same && std::equal(seen.begin(), seen.end(), m.rows.begin() + size_t(v) * kCap) &&
                       int(seen.size()) == m.deg[size_t(v)];
  }
  CHECK(dense_parts_same);
  CHECK_EQ(b.tails_used(), long_lists);
  CHECK(b.bytes() <= AdjacencyRows::bytes_for(m.deg.data(), n, kCap) + 4096);
  CHECK(b.bytes() < size_t(n) * kCap * sizeof(int32_t));
}

TEST(rows_assigned_a_chunk_at_a_time_are_the_dense_ones) {
  // (a paged graph's page_in: its records' rows, never all n dense rows at once)
  std::mt19937 rng(11);
  const int64_t n = 2 * AdjacencyRows::kAssignChunk + 123;
  Model m;
  m.grow(n);
  for (int64_t v = 0; v < n; ++v) {
    const int deg = int(rng() % (kCap + 1));
    const std::vector<int32_t> l = random_list(rng, deg, n);
    std::copy(l.begin(), l.end(), m.rows.begin() + size_t(v) * kCap);
    m.deg[size_t(v)] = uint16_t(deg);
  }
  AdjacencyRows a;
  a.reset(kCap);
  std::vector<std::pair<int64_t, int64_t>> asked;
  a.assign_chunked(m.deg.data(), n, [&](int64_t begin, int64_t k, int32_t* out) {
    asked.emplace_back(begin, k);
    std::copy(m.rows.begin() + size_t(begin) * kCap, m.rows.begin() + size_t(begin + k) * kCap, out);
  });
  CHECK(same_as(a, m));
  const int64_t c = AdjacencyRows::kAssignChunk;
  CHECK(asked == (std::vector<std::pair<int64_t, int64_t>>{{0, c}, {c, c}, {2 * c, 123}}));
  AdjacencyRows b;
  b.reset(kCap);
  b.assign_dense(m.rows.data(), m.deg.data(), n);
  CHECK_EQ(a.tails_used(), b.tails_used());
  CHECK_EQ(a.bytes(), b.bytes());
}

TEST(a_cap_within_the_head_row_never_needs_tails) {
  AdjacencyRows a;
  a.reset(8);
  a.grow(3);
  const int32_t l[8] = {1, 2, 0, 1, 2, 0, 1, 2};
  a.write(1, l, 8);
  std::vector<int32_t> row(8);
  a.read(1, 8, row.data());
  CHECK(std::equal(row.begin(), row.end(), l));
  CHECK_EQ(a.tails_used(), int64_t(0));
}

TEST(a_cap_out_of_range_is_refused) {
  AdjacencyRows a;
  CHECK_THROWS_CODE(a.reset(0), "BAD_ARGUMENT");
  CHECK_THROWS_CODE(a.reset(70000), "BAD_ARGUMENT");
}

TOME_TEST_MAIN()
