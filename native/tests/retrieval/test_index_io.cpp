// Index persistence: byte-exact round trips with identical search results, and
// corrupt or hostile images rejected with RETRIEVAL_CORRUPT (never a crash,
// never an unbounded allocation).
#include <cmath>
#include <cstring>
#include <limits>

#include "cpu/thread_pool.h"
#include "retrieval/flat_index.h"
#include "retrieval/index_io.h"
#include "retrieval/ivf_index.h"
#include "retrieval/rng.h"
#include "retrieval/roar_graph.h"
#include "retrieval/synthetic_workload.h"
#include "retrieval_test_util.h"

using namespace tome;

namespace {

constexpr size_t kPayload = 32;  // index_io.h: header size

void put_u32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }
void put_u64(std::vector<uint8_t>& b, size_t off, uint64_t v) { std::memcpy(&b[off], &v, 8); }
void put_f32(std::vector<uint8_t>& b, size_t off, float v) { std::memcpy(&b[off], &v, 4); }
void put_u16(std::vector<uint8_t>& b, size_t off, uint16_t v) { std::memcpy(&b[off], &v, 2); }
uint32_t get_u32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, &b[off], 4);
  return v;
}

// Rewrites the header's payload size and checksum so that only the payload's
// own validation stands between a hostile image and the index.
std::vector<uint8_t> reseal(std::vector<uint8_t> b) {
  put_u64(b, 16, uint64_t(b.size() - kPayload));
  put_u64(b, 24, index_checksum(b.data() + kPayload, b.size() - kPayload));
  return b;
}

void expect_corrupt(const std::vector<uint8_t>& b, const char* what) {
  try {
    deserialize_index(b.data(), b.size());
  } catch (const Error& e) {
    if (e.code() != "RETRIEVAL_CORRUPT") TOME_FAIL(std::string(what) + ": code " + e.code());
    return;
  }
  TOME_FAIL(std::string(what) + ": accepted");
}

struct Fixture {
  Workload w;
  std::unique_ptr<FlatIndex> flat;
  std::unique_ptr<IvfIndex> ivf;
  std::unique_ptr<RoarGraphIndex> graph;
};

Fixture make_fixture(int64_t n, int d, ThreadPool* pool) {
  Fixture f;
  f.w = make_gaussian_workload(n, n, 20, d, 5, 8.0f);
  f.flat = std::make_unique<FlatIndex>(d);
  f.flat->add(f.w.keys.data(), n, size_t(d));
  IvfParams ip;
  ip.nlist = int(std::max<int64_t>(1, n / 50));
  f.ivf = IvfIndex::build(f.w.keys.data(), n, size_t(d), d, ip, pool);
  GraphBuildParams gp;
  gp.n_anchors = 16;
  gp.anchor_k = 8;
  gp.kq = 16;
  f.graph = RoarGraphIndex::build(f.w.keys.data(), n, size_t(d), d, f.w.train.data(), n, size_t(d), gp, pool);
  return f;
}

void check_same_results(const KeyIndex& a, const KeyIndex& b, const Workload& w) {
  SearchParams p;
  p.k = 10;
  p.nprobe = 3;
  SearchResult ra, rb;
  for (int64_t i = 0; i < w.n_test; ++i) {
    a.search(w.test.data() + size_t(i) * w.d, p, ra);
    b.search(w.test.data() + size_t(i) * w.d, p, rb);
    CHECK(ra.ids == rb.ids);
    CHECK(ra.scores == rb.scores);
    CHECK_EQ(ra.keys_scanned, rb.keys_scanned);
  }
}

}  // namespace

TEST(round_trip_is_byte_exact_with_identical_results) {
  ThreadPool pool(2);
  Fixture f = make_fixture(2000, 32, &pool);
  const KeyIndex* all[] = {f.flat.get(), f.ivf.get(), f.graph.get()};
  for (const KeyIndex* ix : all) {
    const std::vector<uint8_t> img = ix->serialize();
    auto back = deserialize_index(img.data(), img.size());
    CHECK_EQ(std::string(back->kind()), std::string(ix->kind()));
    CHECK_EQ(back->size(), ix->size());
    CHECK_EQ(back->dim(), ix->dim());
    CHECK(back->serialize() == img);
    check_same_results(*ix, *back, f.w);
  }
}

TEST(graph_round_trip_after_inserts_and_inserts_after_reload) {
  ThreadPool pool(2);
  Fixture f = make_fixture(1500, 16, &pool);
  const auto extra = rt::gaussian(size_t(40) * 16, 77);
  for (int i = 0; i < 20; ++i) f.graph->insert(extra.data() + size_t(i) * 16);
  const std::vector<uint8_t> img = f.graph->serialize();
  auto back = deserialize_index(img.data(), img.size());
  CHECK(back->serialize() == img);
  // The same inserts on the original and on the reloaded copy give the same index.
  for (int i = 20; i < 40; ++i) {
    CHECK_EQ(f.graph->insert(extra.data() + size_t(i) * 16), back->insert(extra.data() + size_t(i) * 16));
  }
  CHECK(back->serialize() == f.graph->serialize());
  check_same_results(*f.graph, *back, f.w);
}

TEST(empty_indexes_round_trip) {
  FlatIndex flat(8);
  auto ivf = IvfIndex::build(nullptr, 0, 8, 8, IvfParams{}, nullptr);
  auto graph = RoarGraphIndex::build(nullptr, 0, 8, 8, nullptr, 0, 8, GraphBuildParams{}, nullptr);
  const KeyIndex* all[] = {&flat, ivf.get(), graph.get()};
  for (const KeyIndex* ix : all) {
    const auto img = ix->serialize();
    auto back = deserialize_index(img.data(), img.size());
    CHECK(back->serialize() == img);
    CHECK_EQ(back->size(), int64_t(0));
  }
}

TEST(every_truncation_and_every_byte_flip_is_rejected) {
  Fixture f = make_fixture(60, 8, nullptr);
  const KeyIndex* all[] = {f.flat.get(), f.ivf.get(), f.graph.get()};
  for (const KeyIndex* ix : all) {
    const std::vector<uint8_t> img = ix->serialize();
    for (size_t len = 0; len < img.size(); ++len) {
      std::vector<uint8_t> cut(img.begin(), img.begin() + len);
      expect_corrupt(cut, "truncated");
    }
    for (size_t i = 0; i < img.size(); ++i) {
      std::vector<uint8_t> bad = img;
      bad[i] ^= 0x5A;
      expect_corrupt(bad, "byte flip");
    }
    std::vector<uint8_t> longer = img;
    longer.push_back(0);
    expect_corrupt(longer, "trailing byte (header size)");
    expect_corrupt(reseal(longer), "trailing byte (resealed)");
  }
  expect_corrupt({}, "empty");
  CHECK_THROWS_CODE(deserialize_index(nullptr, 0), "RETRIEVAL_CORRUPT");
}

// Images written before keys were stored as f16 hold f32 keys (no kKeysF16
// flag): they load, each key rounded to f16 as an append would round it.
TEST(images_with_f32_keys_load_rounded) {
  const int d = 8;
  const int64_t n = 50;
  const auto keys = rt::gaussian(size_t(n) * d, 9);
  ByteWriter w;
  w.u32(uint32_t(d));
  w.u64(uint64_t(n));
  w.array(keys.data(), keys.size());
  const std::vector<uint8_t> legacy = finish_index_image(IndexKind::kFlat, w);
  auto back = deserialize_index(legacy.data(), legacy.size());
  FlatIndex expect(d);
  expect.add(keys.data(), n, size_t(d));
  CHECK_EQ(back->size(), n);
  for (int64_t j = 0; j < n; ++j)
    CHECK(std::memcmp(back->key(int32_t(j)), expect.key(int32_t(j)), sizeof(uint16_t) * d) == 0);
  CHECK(back->serialize() == expect.serialize());  // written back with f16 keys
  std::vector<uint8_t> bad = legacy;
  put_f32(bad, kPayload + 12, std::numeric_limits<float>::infinity());
  expect_corrupt(reseal(bad), "inf f32 key");
}

TEST(hostile_fields_with_valid_checksums_are_rejected) {
  Fixture f = make_fixture(60, 8, nullptr);
  const int d = 8;
  const int64_t n = 60;
  const size_t keys_end = kPayload + 12 + size_t(n) * d * 2;  // f16 keys
  // Common prefix: dimension, count, key values.
  const std::vector<uint8_t> flat = f.flat->serialize();
  {
    auto b = flat;
    put_u32(b, kPayload, 0);
    expect_corrupt(reseal(b), "d = 0");
    put_u32(b, kPayload, 1u << 30);
    expect_corrupt(reseal(b), "huge d");
    b = flat;
    put_u64(b, kPayload + 4, uint64_t(1) << 40);
    expect_corrupt(reseal(b), "huge n");
    b = flat;
    put_u64(b, kPayload + 4, uint64_t(n + 1));
    expect_corrupt(reseal(b), "n larger than the keys present");
    b = flat;
    put_u16(b, kPayload + 12, 0x7e00);  // f16 NaN
    expect_corrupt(reseal(b), "NaN key");
    b = flat;
    put_u16(b, kPayload + 12, 0x7c00);  // f16 inf
    expect_corrupt(reseal(b), "inf key");
    b = flat;
    put_u32(b, 8, kIndexFormatVersion + 1);
    expect_corrupt(reseal(b), "future version");
    b = flat;
    put_u32(b, 12, 9);
    expect_corrupt(reseal(b), "unknown kind");
  }
  // IVF: u32 nlist, u32 nprobe, centroids, lists.
  const std::vector<uint8_t> ivf = f.ivf->serialize();
  {
    const uint32_t nl = get_u32(ivf, keys_end);
    auto b = ivf;
    put_u32(b, keys_end, 0);
    expect_corrupt(reseal(b), "nlist = 0");
    b = ivf;
    put_u32(b, keys_end + 4, nl + 1);
    expect_corrupt(reseal(b), "nprobe > nlist");
    const size_t lists = keys_end + 8 + size_t(nl) * d * 4;
    b = ivf;
    const uint32_t sz0 = get_u32(b, lists);
    CHECK(sz0 >= 2);
    put_u32(b, lists + 4, uint32_t(n));  // id out of range
    expect_corrupt(reseal(b), "list id = n");
    b = ivf;
    put_u32(b, lists + 8, get_u32(b, lists + 4));  // a repeated id
    expect_corrupt(reseal(b), "repeated id");
    b = ivf;
    put_u32(b, lists, sz0 - 1);  // lists cover fewer keys (and the image gets misaligned)
    expect_corrupt(reseal(b), "short list");
    b = ivf;
    put_u32(b, lists, 0xFFFFFFFFu);
    expect_corrupt(reseal(b), "huge list");
  }
  // Graph: M, R, ef_link, default_ef, alpha, metric, n_entries, entries, deg, rows, anchors.
  const std::vector<uint8_t> graph = f.graph->serialize();
  {
    const size_t o = keys_end;
    auto b = graph;
    put_u32(b, o + 4, 0);
    expect_corrupt(reseal(b), "R = 0");
    b = graph;
    put_u32(b, o, get_u32(b, o + 4) + 1);
    expect_corrupt(reseal(b), "M > R");
    b = graph;
    put_f32(b, o + 16, std::numeric_limits<float>::quiet_NaN());
    expect_corrupt(reseal(b), "alpha NaN");
    b = graph;
    put_u32(b, o + 20, 7);
    expect_corrupt(reseal(b), "link metric");
    const uint32_t ne = get_u32(graph, o + 24);
    b = graph;
    put_u32(b, o + 24, 0);
    expect_corrupt(reseal(b), "no entries");
    b = graph;
    put_u32(b, o + 24, uint32_t(n + 1));
    expect_corrupt(reseal(b), "more entries than keys");
    b = graph;
    put_u32(b, o + 28, uint32_t(n));
    expect_corrupt(reseal(b), "entry out of range");
    const size_t deg = o + 28 + size_t(ne) * 4;
    b = graph;
    const uint16_t big = uint16_t(get_u32(graph, o + 4) + 1);
    std::memcpy(&b[deg], &big, 2);
    expect_corrupt(reseal(b), "degree above R");
    // First neighbour of the first key with edges.
    size_t row = deg + size_t(n) * 2;
    uint16_t d0;
    std::memcpy(&d0, &graph[deg], 2);
    CHECK(d0 > 0);
    b = graph;
    put_u32(b, row, uint32_t(n));
    expect_corrupt(reseal(b), "neighbour id = n");
    b = graph;
    put_u32(b, row, 0xFFFFFFFFu);
    expect_corrupt(reseal(b), "neighbour id = -1");
    // Anchors: after every row.
    size_t anchors = row;
    for (int64_t v = 0; v < n; ++v) {
      uint16_t dv;
      std::memcpy(&dv, &graph[deg + size_t(v) * 2], 2);
      anchors += size_t(dv) * 4;
    }
    b = graph;
    put_u32(b, anchors, 65);
    expect_corrupt(reseal(b), "anchor links");
    b = graph;
    put_u32(b, anchors + 4, 0xFFFFFFFFu);
    expect_corrupt(reseal(b), "anchor count");
    const size_t first_list = anchors + 12 + size_t(d) * 4;
    b = graph;
    put_u32(b, first_list, get_u32(graph, anchors + 8) + 1);
    expect_corrupt(reseal(b), "anchor list over its cap");
    b = graph;
    put_u32(b, first_list + 8, uint32_t(n));
    expect_corrupt(reseal(b), "anchor list id = n");
  }
}

// The image of a graph over 2000 gaussian keys of 4 dims (the two allocation tests below edit it).
constexpr int kSmallGraphDim = 4;
constexpr int64_t kSmallGraphKeys = 2000;
static std::vector<uint8_t> small_graph_image() {
  const int d = kSmallGraphDim;
  const auto keys = rt::gaussian(size_t(kSmallGraphKeys) * d, 3);
  auto g = RoarGraphIndex::build(keys.data(), kSmallGraphKeys, size_t(d), d, nullptr, 0, size_t(d), GraphBuildParams{}, nullptr);
  return g->serialize();
}

TEST(graph_degree_cap_cannot_amplify_allocation) {
  // The dense (n, R) adjacency is allocated from R: a hostile R may not turn a
  // small image into hundreds of MiB (limit: 16x the keys' bytes + 64 MiB).
  const int64_t n = kSmallGraphKeys;
  std::vector<uint8_t> b = small_graph_image();
  const size_t o = kPayload + 12 + size_t(n) * kSmallGraphDim * 2;  // after the f16 keys
  put_u32(b, o + 4, 65535);  // R: 2000 * 65535 * 4 bytes = 524 MB of adjacency
  put_u32(b, o, 1);          // M
  expect_corrupt(reseal(b), "R far beyond the image");
}

TEST(graph_anchor_cap_cannot_amplify_allocation) {
  // The anchors' lists are allocated at their cap (count x ka) before they are
  // read: 20000 anchors with empty lists under a cap of 4096 are 400 KB of
  // image and would be 655 MB of lists (limit: 16x the bytes left + 64 MiB).
  const int d = kSmallGraphDim;
  const int64_t n = kSmallGraphKeys;
  std::vector<uint8_t> b = small_graph_image();
  const size_t o = kPayload + 12 + size_t(n) * kSmallGraphDim * 2;  // after the f16 keys
  const size_t deg = o + 28 + size_t(get_u32(b, o + 24)) * 4;
  size_t anchors = deg + size_t(n) * 2;  // the rows, then u32 anchor links, then the anchors
  for (int64_t v = 0; v < n; ++v) {
    uint16_t dv;
    std::memcpy(&dv, &b[deg + size_t(v) * 2], 2);
    anchors += size_t(dv) * 4;
  }
  auto image_with = [&](uint32_t count, uint32_t cap) {
    std::vector<uint8_t> h(b.begin(), b.begin() + long(anchors) + 4);  // up to the anchor links
    h.resize(h.size() + 8 + size_t(count) * (d * 4 + 4));
    put_u32(h, anchors + 4, count);
    put_u32(h, anchors + 8, cap);
    for (uint32_t a = 0; a < count; ++a)
      for (int i = 0; i < d; ++i) put_f32(h, anchors + 12 + size_t(a) * (d * 4 + 4) + size_t(i) * 4, 0.5f);
    return reseal(h);
  };
  expect_corrupt(image_with(20000, 4096), "20000 empty anchor lists under a cap of 4096");
  // the same lists under a small cap load (the image is otherwise sound)
  const std::vector<uint8_t> ok = image_with(20000, 8);
  CHECK(deserialize_index(ok.data(), ok.size()) != nullptr);
}

TEST(non_finite_inputs_are_contained) {
  // An inf/NaN key value (f16 overflow upstream) is stored as 0; a NaN query
  // returns no garbage ids; the index still serializes and loads.
  ThreadPool pool(2);
  Fixture f = make_fixture(500, 8, &pool);
  float bad[8] = {1, 2, std::numeric_limits<float>::infinity(), 4, std::numeric_limits<float>::quiet_NaN(), 6, 7, 8};
  KeyIndex* all[] = {f.flat.get(), f.ivf.get(), f.graph.get()};
  for (KeyIndex* ix : all) {
    const int32_t id = ix->insert(bad);
    SearchParams p;
    p.k = 5;
    SearchResult r;
    ix->search(bad, p, r);  // the query is non-finite too
    for (int32_t x : r.ids) CHECK(x >= 0 && x <= id);
    const auto img = ix->serialize();
    auto back = deserialize_index(img.data(), img.size());
    CHECK(back->serialize() == img);
  }
  CHECK_EQ(f.flat->keys().row(500)[2], uint16_t(0));
  CHECK_EQ(f.flat->keys().row(500)[4], uint16_t(0));
}

TEST(random_payload_mutations_never_crash) {
  // Resealed random mutations: each image either loads (and then searches and
  // inserts safely) or is rejected with RETRIEVAL_CORRUPT.
  Fixture f = make_fixture(60, 8, nullptr);
  const KeyIndex* all[] = {f.flat.get(), f.ivf.get(), f.graph.get()};
  Rng rng(99);
  int loaded = 0, rejected = 0;
  for (const KeyIndex* ix : all) {
    const std::vector<uint8_t> img = ix->serialize();
    for (int it = 0; it < 1500; ++it) {
      std::vector<uint8_t> b = img;
      const int edits = 1 + int(rng.below(4));
      for (int e = 0; e < edits; ++e) {
        const size_t at = kPayload + size_t(rng.below(b.size() - kPayload));
        b[at] = uint8_t(rng.below(256));
      }
      b = reseal(b);
      try {
        auto back = deserialize_index(b.data(), b.size());
        ++loaded;
        SearchParams p;
        p.k = 5;
        SearchResult r;
        back->search(f.w.test.data(), p, r);
        for (int32_t id : r.ids) CHECK(id >= 0 && id < back->size());
        back->insert(f.w.test.data());
      } catch (const Error& e) {
        if (e.code() != "RETRIEVAL_CORRUPT") TOME_FAIL("mutation: code " + e.code());
        ++rejected;
      }
    }
  }
  std::printf("     mutations: %d loaded, %d rejected\n", loaded, rejected);
  CHECK(rejected > 0);
}

TOME_TEST_MAIN()
