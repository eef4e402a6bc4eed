// Deterministic fuzzing of the reader: seeded random mutations of a small valid
// GGUF (byte flips, splices, extreme values written over length and count
// fields, truncations). Every parse must succeed or throw tome::Error; a parsed
// file's getters and tensor bytes are then all touched (for ASan/UBSan runs).
// TOME_FUZZ_ITERS overrides the number of cases (default 1000).
#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>

#include "gguf/gguf_test_util.h"
#include "test_harness.h"

using tome::GgufFile;
using tome::GgufValueType;

namespace {

// Offsets of the length, count, type and offset fields of a valid file, found by
// walking it with the knowledge of what the reader parsed.
std::vector<size_t> field_offsets(const std::vector<uint8_t>& bytes) {
  auto f = GgufFile::from_bytes(bytes);
  std::vector<size_t> at = {4, 8, 16};  // version, tensor count, metadata count
  for (const auto& kv : f->metadata()) {
    size_t p = size_t(kv.offset);
    at.push_back(p);                      // key length
    p += 8 + kv.key.size();
    at.push_back(p);                      // value type
    if (kv.value.type == GgufValueType::STRING) at.push_back(p + 4);  // value length
    if (kv.value.type == GgufValueType::ARRAY) {
      at.push_back(p + 4);                // element type
      at.push_back(p + 8);                // count
      if (kv.value.elem_type == GgufValueType::STRING) {
        size_t q = p + 16;
        for (const auto& s : kv.value.strs) {
          at.push_back(q);                // element length
          q += 8 + s.size();
        }
      }
    }
  }
  for (const auto& t : f->tensors()) {
    size_t p = gguf_test::find_bytes(bytes, t.name) - 8;
    at.push_back(p);                      // name length
    p += 8 + t.name.size();
    at.push_back(p);                      // n_dims
    for (uint32_t d = 0; d < t.n_dims; ++d) at.push_back(p + 4 + 8 * d);  // ne[d]
    p += 4 + 8 * t.n_dims;
    at.push_back(p);                      // type
    at.push_back(p + 4);                  // offset
  }
  return at;
}

struct Mutator {
  std::mt19937_64 rng;
  const std::vector<size_t>& fields;
  explicit Mutator(uint64_t seed, const std::vector<size_t>& f) : rng(seed), fields(f) {}

  uint64_t below(uint64_t n) { return n ? rng() % n : 0; }

  uint64_t extreme(size_t file_size) {
    const uint64_t values[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 31, 32, 33, 63, 64, 255, 256, 0xFFFF, 0x10000,
                               0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 0x100000000ull, 1ull << 40,
                               (1ull << 62) + 1, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, UINT64_MAX,
                               UINT64_MAX - 31, file_size, file_size + 1, file_size / 2};
    uint64_t v = values[below(sizeof values / sizeof values[0])];
    if (below(4) == 0) v = rng();
    return v;
  }

  void mutate(std::vector<uint8_t>& b) {
    if (b.empty()) return;
    switch (below(7)) {
      case 0: {  // flip a few bytes
        for (uint64_t n = 1 + below(8); n--;) b[below(b.size())] ^= uint8_t(1 + below(255));
        break;
      }
      case 1: {  // set one byte to an extreme
        const uint8_t v[] = {0, 1, 0x7F, 0x80, 0xFF};
        b[below(b.size())] = v[below(5)];
        break;
      }
      case 2:
      case 3: {  // an extreme value over a known field (u32 or u64)
        size_t at = fields[below(fields.size())];
        int width = below(2) ? 8 : 4;
        uint64_t v = extreme(b.size());
        for (int i = 0; i < width && at + size_t(i) < b.size(); ++i) b[at + size_t(i)] = uint8_t(v >> (8 * i));
        break;
      }
      case 4: {  // splice: copy a run of the file over another place
        size_t n = size_t(1 + below(64));
        size_t from = size_t(below(b.size())), to = size_t(below(b.size()));
        for (size_t i = 0; i < n && from + i < b.size() && to + i < b.size(); ++i) b[to + i] = b[from + i];
        break;
      }
      case 5: {  // insert or delete a run
        size_t at = size_t(below(b.size()));
        size_t n = size_t(1 + below(40));
        if (below(2)) {
          std::vector<uint8_t> run(n);
          for (auto& c : run) c = uint8_t(rng());
          b.insert(b.begin() + std::ptrdiff_t(at), run.begin(), run.end());
        } else {
          b.erase(b.begin() + std::ptrdiff_t(at), b.begin() + std::ptrdiff_t(std::min(b.size(), at + n)));
        }
        break;
      }
      case 6:  // truncate
        b.resize(size_t(below(b.size())));
        break;
    }
  }
};

// Reads everything a caller could read from a parsed file.
uint64_t touch_all(const GgufFile& f) {
  uint64_t sum = f.version() + f.alignment() + f.data_offset();
  for (const auto& kv : f.metadata()) {
    sum += kv.key.size() + kv.value.array_size();
    try { sum += uint64_t(f.get_int(kv.key).value_or(0)); } catch (const tome::Error&) { ++sum; }
    try { sum += uint64_t(f.get_float(kv.key).value_or(0) != 0); } catch (const tome::Error&) { ++sum; }
    try { sum += f.get_bool(kv.key).value_or(false); } catch (const tome::Error&) { ++sum; }
    try { sum += f.get_string(kv.key).value_or("").size(); } catch (const tome::Error&) { ++sum; }
    try { sum += f.get_array(kv.key) != nullptr; } catch (const tome::Error&) { ++sum; }
    if (f.find(kv.key) != &kv) TOME_FAIL("find() does not return the key's entry");
  }
  for (const auto& t : f.tensors()) {
    if (f.tensor(t.name) != &t) TOME_FAIL("tensor() does not return the tensor");
    sum += uint64_t(t.n_elements());
    for (uint64_t i = 0; i < t.nbytes; ++i) sum += t.data[i];
    if (t.offset + t.nbytes > f.file_size() - f.data_offset()) TOME_FAIL("tensor data past the end of the file");
  }
  return sum;
}

}  // namespace

TEST(fuzz_mutations) {
  const std::vector<uint8_t> base = gguf_test::small_model_bytes();
  const std::vector<size_t> fields = field_offsets(base);
  int iters = 1000;
  if (const char* e = std::getenv("TOME_FUZZ_ITERS")) iters = std::max(1, std::atoi(e));
  int parsed = 0, refused = 0, other = 0;
  std::map<std::string, int> codes;
  uint64_t checksum = 0;
  for (int i = 0; i < iters; ++i) {
    Mutator m(0x70E5EED0ull + uint64_t(i), fields);
    std::vector<uint8_t> b = base;
    for (uint64_t n = 1 + m.below(3); n--;) m.mutate(b);
    try {
      auto f = GgufFile::from_bytes(std::move(b));
      checksum += touch_all(*f);
      ++parsed;
    } catch (const tome::Error& e) {
      ++refused;
      codes[e.code()]++;
      if (std::string(e.what()).empty()) TOME_FAIL("empty message for " + e.code());
    } catch (const std::exception& e) {
      ++other;
      std::printf("case %d: non-tome exception: %s\n", i, e.what());
    } catch (...) {
      ++other;
      std::printf("case %d: unknown exception\n", i);
    }
  }
  std::printf("fuzz: %d cases, %d parsed, %d refused, %d other (checksum %llu)\n", iters, parsed, refused, other,
              static_cast<unsigned long long>(checksum));
  for (const auto& [code, n] : codes) std::printf("  %-18s %d\n", code.c_str(), n);
  CHECK_EQ(other, 0);
  CHECK_EQ(parsed + refused, iters);
  CHECK(refused > 0);
}

TOME_TEST_MAIN()
