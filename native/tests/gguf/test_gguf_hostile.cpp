// Broken and hostile GGUF files: each must throw tome::Error with the right
// code (never crash, never allocate from an unchecked length).
#include <cstdint>

#include "gguf/gguf_test_util.h"
#include "test_harness.h"

using gguf_test::contains;
using gguf_test::parse_code;
using gguf_test::parse_error;
using gguf_test::put_le;
using gguf_test::Raw;
using tome::GgufFile;
using tome::GgufLimits;

namespace {

constexpr uint32_t F32 = 0, Q8_0 = 8, Q2_K = 10;

// One F32 tensor of ne elements, its data section padded; `patch` may edit the raw parts.
std::vector<uint8_t> one_tensor(std::vector<int64_t> ne, uint32_t type = F32, uint64_t offset = 0,
                                size_t data_bytes = 64) {
  Raw r;
  r.header(1, 0).tensor("w", ne, type, offset).pad().zeros(data_bytes);
  return r.b;
}

}  // namespace

TEST(truncation_at_every_byte) {
  const std::vector<uint8_t> full = gguf_test::small_model_bytes();
  CHECK(GgufFile::from_bytes(full));
  int n = 0;
  for (size_t len = 0; len < full.size(); ++len) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + std::ptrdiff_t(len));
    std::string err;
    try {
      GgufFile::from_bytes(std::move(cut));
      TOME_FAIL("a prefix of " + std::to_string(len) + " bytes parsed");
    } catch (const tome::Error& e) {
      if (e.code() != "GGUF_TRUNCATED")
        TOME_FAIL("prefix " + std::to_string(len) + ": " + e.code() + ": " + e.what());
      if (!contains(e.what(), "offset")) TOME_FAIL(std::string("message without an offset: ") + e.what());
      ++n;
    }
  }
  CHECK_EQ(size_t(n), full.size());
}

TEST(truncation_messages_name_the_field) {
  const std::vector<uint8_t> full = gguf_test::small_model_bytes();
  // Cut 3 bytes into the dims of tensor 1.
  const std::string name = "blk.0.attn_q.weight";
  const size_t dims_at = gguf_test::find_bytes(full, name) + name.size() + 4;
  std::vector<uint8_t> cut(full.begin(), full.begin() + std::ptrdiff_t(dims_at + 3));
  CHECK_EQ(parse_error(cut), "GGUF_TRUNCATED: tensor 1 ('blk.0.attn_q.weight') dims at offset " +
                                 std::to_string(dims_at) + ": needs 16 bytes, 3 left");
  // Cut 2 bytes before the end of the last token ("nnnnn") of the vocabulary.
  const size_t next_kv = gguf_test::find_bytes(full, "tokenizer.ggml.scores") - 8;
  std::vector<uint8_t> cut2(full.begin(), full.begin() + std::ptrdiff_t(next_kv - 2));
  CHECK_EQ(parse_error(cut2), "GGUF_TRUNCATED: metadata 6 ('tokenizer.ggml.tokens') element 39 at offset " +
                                  std::to_string(next_kv - 5) + ": needs 5 bytes, 3 left");
  // Cut early in the vocabulary: the array's count alone no longer fits.
  std::vector<uint8_t> cut4(full.begin(), full.begin() + std::ptrdiff_t(next_kv - 200));
  std::string e = parse_error(cut4);
  CHECK(contains(e, "GGUF_TRUNCATED: metadata 6 ('tokenizer.ggml.tokens') array length at offset "));
  CHECK(contains(e, ": 40 needs 320 bytes, "));
  // Cut in the data of the last tensor.
  std::vector<uint8_t> cut3(full.begin(), full.end() - 1);
  e = parse_error(cut3);
  CHECK(contains(e, "GGUF_TRUNCATED: tensor 3 ('output_norm.weight') data at offset "));
  CHECK(contains(e, "needs 32 bytes, 31 left"));
}

TEST(bad_magic) {
  auto b = gguf_test::small_model_bytes();
  b[3] = 'X';
  CHECK_GGUF_CODE(GgufFile::from_bytes(b), "GGUF_BAD_MAGIC");
  CHECK(contains(parse_error(b), "'GGUX'"));
  CHECK_EQ(parse_code(std::vector<uint8_t>(64, 0)), "GGUF_BAD_MAGIC");
  CHECK_EQ(parse_code({'G', 'G', 'U'}), "GGUF_TRUNCATED");
  CHECK_EQ(parse_code({}), "GGUF_TRUNCATED");
}

TEST(versions) {
  auto b = gguf_test::small_model_bytes();
  for (uint32_t v : {0u, 1u, 4u, 0xFFFFFFFFu, 0x03000000u}) {
    put_le(b, 4, v, 4);
    CHECK_GGUF_CODE(GgufFile::from_bytes(b), "GGUF_VERSION");
  }
  put_le(b, 4, 1, 4);
  CHECK(contains(parse_error(b), "version 1 is not supported"));
  put_le(b, 4, 0x03000000u, 4);
  CHECK(contains(parse_error(b), "big-endian"));
}

TEST(huge_counts) {
  Raw r;
  r.header(uint64_t(1) << 63, 0);
  CHECK_EQ(parse_code(r.b), "GGUF_LIMIT");
  r = Raw();
  r.header(0, UINT64_MAX);
  CHECK_EQ(parse_code(r.b), "GGUF_LIMIT");
  r = Raw();
  r.header(60000, 0).zeros(100);  // under the limit, but no room for 60000 entries
  CHECK_EQ(parse_code(r.b), "GGUF_TRUNCATED");
  r = Raw();
  r.header(0, 1000).kv_u32("a", 1);
  CHECK_EQ(parse_code(r.b), "GGUF_TRUNCATED");
  GgufLimits unlimited;
  unlimited.max_kv = unlimited.max_tensors = UINT64_MAX;
  r = Raw();
  r.header(UINT64_MAX, 0);
  CHECK_EQ(parse_code(r.b, unlimited), "GGUF_TRUNCATED");
  r = Raw();
  r.header(0, UINT64_MAX);
  CHECK_EQ(parse_code(r.b, unlimited), "GGUF_TRUNCATED");
  // The count check sees the whole file; the tensor table then fails at the first missing field.
  r = Raw();
  r.header(3, 1).kv_str("k", std::string(200, 'x')).tensor("a", {8}, F32, 0);
  CHECK_EQ(parse_error(r.b), "GGUF_TRUNCATED: tensor 1 name length at offset " + std::to_string(r.b.size()) +
                                 ": needs 8 bytes, 0 left");
}

TEST(huge_string_lengths) {
  Raw r;
  r.header(0, 1).u64(UINT64_MAX).zeros(16);  // key length
  CHECK_EQ(parse_code(r.b), "GGUF_LIMIT");
  r = Raw();
  r.header(0, 1).str(std::string(65536, 'k')).u32(4).u32(0);  // key longer than 64 KiB - 1
  CHECK_EQ(parse_code(r.b), "GGUF_LIMIT");
  r = Raw();
  r.header(0, 1).str("k").u32(8).u64((1u << 20) + 1).zeros(16);  // value over max_string
  CHECK_EQ(parse_code(r.b), "GGUF_LIMIT");
  r = Raw();
  r.header(0, 1).str("k").u32(8).u64(1000).bytes("short");
  CHECK_EQ(parse_code(r.b), "GGUF_TRUNCATED");
  CHECK(contains(parse_error(r.b), "metadata 0 ('k') value at offset 45: needs 1000 bytes, 5 left"));
  GgufLimits unlimited;
  unlimited.max_string = UINT64_MAX;
  r = Raw();
  r.header(0, 1).str("k").u32(8).u64(UINT64_MAX).bytes("short");
  CHECK_EQ(parse_code(r.b, unlimited), "GGUF_TRUNCATED");
  r = Raw();
  r.header(1, 0).u64(UINT64_MAX).zeros(40);  // tensor name length
  CHECK_EQ(parse_code(r.b), "GGUF_LIMIT");
  r = Raw();
  r.header(1, 0).u64(70).bytes("x").zeros(40);
  CHECK_EQ(parse_code(r.b), "GGUF_TRUNCATED");
}

TEST(huge_array_counts) {
  Raw r;
  r.header(0, 1).str("a").u32(9).u32(4).u64(UINT64_MAX);
  CHECK_EQ(parse_code(r.b), "GGUF_LIMIT");
  r = Raw();
  r.header(0, 1).str("a").u32(9).u32(4).u64(1u << 24).u32(1).u32(2);  // at the limit, 8 bytes present
  CHECK_EQ(parse_code(r.b), "GGUF_TRUNCATED");
  r = Raw();
  r.header(0, 1).str("a").u32(9).u32(8).u64(1u << 20).str("one");
  CHECK_EQ(parse_code(r.b), "GGUF_TRUNCATED");
  GgufLimits unlimited;
  unlimited.max_array = UINT64_MAX;
  for (uint32_t et : {0u, 4u, 8u, 10u, 12u}) {
    r = Raw();
    r.header(0, 1).str("a").u32(9).u32(et).u64(UINT64_MAX / 4 + 1).zeros(32);  // count * size overflows 64 bits
    CHECK_EQ(parse_code(r.b, unlimited), "GGUF_TRUNCATED");
  }
}

TEST(total_allocation_limit) {
  GgufLimits tight;
  tight.max_total_alloc = 1000;
  CHECK_EQ(parse_code(gguf_test::small_model_bytes(), tight), "GGUF_LIMIT");
  tight.max_total_alloc = 1u << 20;
  CHECK_EQ(parse_code(gguf_test::small_model_bytes(), tight), "");
  GgufLimits few;
  few.max_kv = 3;
  CHECK_EQ(parse_code(gguf_test::small_model_bytes(), few), "GGUF_LIMIT");
  few = GgufLimits();
  few.max_tensors = 2;
  CHECK_EQ(parse_code(gguf_test::small_model_bytes(), few), "GGUF_LIMIT");
  few = GgufLimits();
  few.max_array = 39;
  CHECK_EQ(parse_code(gguf_test::small_model_bytes(), few), "GGUF_LIMIT");
}

TEST(bad_value_types) {
  Raw r;
  r.header(0, 1).str("a").u32(9).u32(9).u64(1).u32(4).u64(1).u32(7);
  CHECK_EQ(parse_code(r.b), "GGUF_NESTED_ARRAY");
  r = Raw();
  r.header(0, 1).str("a").u32(13).u32(0);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_TYPE");
  r = Raw();
  r.header(0, 1).str("a").u32(0xFFFFFFFFu).u32(0);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_TYPE");
  r = Raw();
  r.header(0, 1).str("a").u32(9).u32(77).u64(0);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_TYPE");
  r = Raw();
  r.header(0, 1).str("b").u32(7).u8(2);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_VALUE");
  r = Raw();
  r.header(0, 1).str("b").u32(9).u32(7).u64(3).u8(1).u8(0).u8(5);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_VALUE");
  CHECK(contains(parse_error(r.b), "element 2"));
}

TEST(tensor_dims) {
  CHECK_EQ(parse_code(one_tensor({8})), "");
  CHECK_EQ(parse_code(one_tensor({})), "GGUF_BAD_VALUE");  // n_dims 0
  CHECK_EQ(parse_code(one_tensor({1, 1, 1, 1, 1})), "GGUF_BAD_VALUE");  // n_dims 5
  CHECK(contains(parse_error(one_tensor({1, 1, 1, 1, 1})), "n_dims at offset"));
  Raw r;
  r.header(1, 0).str("w").u32(0xFFFFFFFFu).zeros(64);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_VALUE");
  CHECK_EQ(parse_code(one_tensor({0})), "GGUF_BAD_VALUE");
  CHECK_EQ(parse_code(one_tensor({8, 0})), "GGUF_BAD_VALUE");
  CHECK_EQ(parse_code(one_tensor({-1})), "GGUF_BAD_VALUE");
  CHECK_EQ(parse_code(one_tensor({8, INT64_MIN})), "GGUF_BAD_VALUE");
  CHECK_EQ(parse_code(one_tensor({int64_t(1) << 32, int64_t(1) << 32})), "GGUF_BAD_VALUE");  // 2^64 elements
  CHECK_EQ(parse_code(one_tensor({3, 3, INT64_MAX / 8, 1})), "GGUF_BAD_VALUE");
  CHECK_EQ(parse_code(one_tensor({INT64_MAX})), "GGUF_BAD_VALUE");  // elements fit, bytes do not
  CHECK(contains(parse_error(one_tensor({INT64_MAX})), "byte size overflows"));
  CHECK_EQ(parse_code(one_tensor({int64_t(1) << 40, int64_t(1) << 20})), "GGUF_TRUNCATED");  // 4 EiB of data
  CHECK_EQ(parse_code(one_tensor({16}, Q8_0)), "GGUF_BAD_VALUE");  // half a block
  CHECK(contains(parse_error(one_tensor({16}, Q8_0)), "Q8_0 blocks of 32"));
  CHECK_EQ(parse_code(one_tensor({32}, Q8_0)), "");
}

TEST(tensor_types) {
  CHECK_EQ(parse_code(one_tensor({8}, 77)), "GGUF_BAD_TYPE");
  CHECK_EQ(parse_code(one_tensor({8}, 4)), "GGUF_BAD_TYPE");  // a number ggml retired
  CHECK(contains(parse_error(one_tensor({8}, 77)), "77 is not a ggml tensor type"));
  // A known type tome cannot compute with is not a parse error.
  auto f = GgufFile::from_bytes(one_tensor({256}, Q2_K, 0, 96));
  CHECK_EQ(f->tensors()[0].type, Q2_K);
  CHECK_EQ(f->tensors()[0].nbytes, 84u);
}

TEST(tensor_offsets) {
  CHECK_EQ(parse_code(one_tensor({8}, F32, 4)), "GGUF_BAD_VALUE");  // misaligned
  CHECK(contains(parse_error(one_tensor({8}, F32, 4)), "not a multiple of the alignment 32"));
  CHECK_EQ(parse_code(one_tensor({8}, F32, 32)), "");                    // 32 + 32 bytes <= 64
  CHECK_EQ(parse_code(one_tensor({8}, F32, 64)), "GGUF_TRUNCATED");      // starts at the end, needs 32
  CHECK_EQ(parse_code(one_tensor({8}, F32, uint64_t(1) << 40)), "GGUF_TRUNCATED");
  CHECK_EQ(parse_code(one_tensor({8}, F32, UINT64_MAX - 31)), "GGUF_TRUNCATED");  // aligned, overflows
  CHECK_EQ(parse_code(one_tensor({24}, F32, 0)), "GGUF_TRUNCATED");      // 96 bytes in 64
  // Tensor table present but the file ends right after it: the data section is missing.
  Raw r;
  r.header(1, 0).tensor("w", {8}, F32, 0);
  CHECK_EQ(parse_code(r.b), "GGUF_TRUNCATED");
}

TEST(alignment_values) {
  auto with_alignment = [](uint32_t type, uint64_t value, int bytes) {
    Raw r;
    r.header(1, 1).str("general.alignment").u32(type).le(value, bytes).tensor("w", {8}, F32, 0).pad(64).zeros(64);
    return r.b;
  };
  CHECK_EQ(parse_code(with_alignment(4, 64, 4)), "");
  CHECK_EQ(GgufFile::from_bytes(with_alignment(4, 64, 4))->alignment(), 64u);
  CHECK_EQ(GgufFile::from_bytes(with_alignment(4, 64, 4))->data_offset() % 64, 0u);
  CHECK_EQ(parse_code(with_alignment(4, 0, 4)), "GGUF_BAD_VALUE");
  CHECK_EQ(parse_code(with_alignment(4, 48, 4)), "GGUF_BAD_VALUE");
  CHECK_EQ(parse_code(with_alignment(4, 0x80000001u, 4)), "GGUF_BAD_VALUE");
  CHECK(contains(parse_error(with_alignment(4, 48, 4)), "48 is not a nonzero power of two"));
  CHECK_EQ(parse_code(with_alignment(10, 64, 8)), "GGUF_TYPE");  // uint64: llama.cpp requires uint32
  CHECK_EQ(parse_code(with_alignment(5, 64, 4)), "GGUF_TYPE");
  // A huge power of two: the data section would start past the end.
  CHECK_EQ(parse_code(with_alignment(4, 0x80000000u, 4)), "GGUF_TRUNCATED");
  // Offsets must be multiples of the file's alignment, not of 32.
  Raw r;
  r.header(1, 1).kv_u32("general.alignment", 64).tensor("w", {8}, F32, 32).pad(64).zeros(128);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_VALUE");
}

TEST(duplicates) {
  Raw r;
  r.header(0, 2).kv_u32("a.b", 1).kv_str("a.b", "x");
  CHECK_EQ(parse_code(r.b), "GGUF_DUPLICATE");
  CHECK(contains(parse_error(r.b), "repeats metadata 0"));
  r = Raw();
  r.header(2, 0).tensor("w", {8}, F32, 0).tensor("w", {8}, F32, 32).pad().zeros(64);
  CHECK_EQ(parse_code(r.b), "GGUF_DUPLICATE");
  // Non-printable bytes in a name are escaped in the message.
  r = Raw();
  r.header(0, 2).kv_u32("\x01\xff", 1).kv_u32("\x01\xff", 1);
  CHECK(contains(parse_error(r.b), "'\\x01\\xff'"));
}

TEST(empty_names) {
  Raw r;
  r.header(0, 1).kv_u32("", 1);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_VALUE");
  r = Raw();
  r.header(1, 0).tensor("", {8}, F32, 0).pad().zeros(32);
  CHECK_EQ(parse_code(r.b), "GGUF_BAD_VALUE");
}

TEST(vocab_only_file_without_padding) {
  Raw r;
  r.header(0, 1).kv_str("general.architecture", "llama");  // 24 + 8 + 20 + 4 + 8 + 5 = 69 bytes, unpadded
  auto f = GgufFile::from_bytes(r.b);
  CHECK_EQ(f->data_offset(), f->file_size());
  CHECK_EQ(f->tensors().size(), 0u);
}

TEST(trailing_bytes_after_data_are_allowed) {
  auto b = gguf_test::small_model_bytes();
  b.resize(b.size() + 100, 0xAB);
  CHECK_EQ(parse_code(b), "");
}

TOME_TEST_MAIN()
