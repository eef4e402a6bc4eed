// GgufWriter -> GgufFile round trips: every value type, arrays, tensors of
// several types, alignments, files on disk, and the writer's argument checks.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "gguf/gguf_test_util.h"
#include "test_harness.h"

using tome::GgmlType;
using tome::GgufFile;
using tome::GgufValueType;
using tome::GgufWriter;

namespace {

std::unique_ptr<GgufFile> reread(const GgufWriter& w) { return GgufFile::from_bytes(w.to_bytes()); }

// A fresh empty directory under the system temp dir, removed at scope end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("tome-gguf-test-" + std::to_string(uint64_t(std::chrono::steady_clock::now().time_since_epoch().count())));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(scalars_of_every_type) {
  GgufWriter w;
  w.set_u8("a.u8", 255);
  w.set_i8("a.i8", -128);
  w.set_u16("a.u16", 65535);
  w.set_i16("a.i16", -32768);
  w.set_u32("a.u32", 4294967295u);
  w.set_i32("a.i32", std::numeric_limits<int32_t>::min());
  w.set_u64("a.u64", std::numeric_limits<uint64_t>::max());
  w.set_i64("a.i64", std::numeric_limits<int64_t>::min());
  w.set_f32("a.f32", 0.1f);
  w.set_f64("a.f64", 0.1);
  w.set_bool("a.true", true);
  w.set_bool("a.false", false);
  w.set_string("a.str", "h\xc3\xa9llo");
  w.set_string("a.empty", "");
  w.set_string("a.nul", std::string("x\0y", 3));
  auto f = reread(w);
  CHECK_EQ(f->version(), 3u);
  CHECK_EQ(f->metadata().size(), 15u);
  CHECK_EQ(f->metadata()[0].key, std::string("a.u8"));  // insertion order
  CHECK_EQ(f->metadata()[0].offset, 24u);               // right after the 24-byte header
  CHECK_EQ(*f->get_int("a.u8"), 255);
  CHECK_EQ(*f->get_int("a.i8"), -128);
  CHECK_EQ(*f->get_int("a.u16"), 65535);
  CHECK_EQ(*f->get_int("a.i16"), -32768);
  CHECK_EQ(*f->get_int("a.u32"), 4294967295ll);
  CHECK_EQ(*f->get_int("a.i32"), int64_t(std::numeric_limits<int32_t>::min()));
  CHECK_EQ(*f->get_int("a.i64"), std::numeric_limits<int64_t>::min());
  CHECK_EQ(uint64_t(f->find("a.u64")->value.i), std::numeric_limits<uint64_t>::max());
  CHECK_GGUF_CODE(f->get_int("a.u64"), "GGUF_BAD_VALUE");  // does not fit int64
  CHECK_EQ(*f->get_float("a.u64"), 18446744073709551615.0);
  CHECK_EQ(*f->get_float("a.f32"), double(0.1f));
  CHECK_EQ(*f->get_float("a.f64"), 0.1);
  CHECK_EQ(*f->get_float("a.i8"), -128.0);
  CHECK_EQ(*f->get_bool("a.true"), true);
  CHECK_EQ(*f->get_bool("a.false"), false);
  CHECK_EQ(*f->get_int("a.true"), 1);
  CHECK_EQ(*f->get_string("a.str"), std::string("h\xc3\xa9llo"));
  CHECK_EQ(*f->get_string("a.empty"), std::string());
  CHECK_EQ(*f->get_string("a.nul"), std::string("x\0y", 3));
  const GgufValueType expect[] = {GgufValueType::UINT8, GgufValueType::INT8, GgufValueType::UINT16,
                                  GgufValueType::INT16, GgufValueType::UINT32, GgufValueType::INT32,
                                  GgufValueType::UINT64, GgufValueType::INT64, GgufValueType::FLOAT32,
                                  GgufValueType::FLOAT64, GgufValueType::BOOL, GgufValueType::BOOL,
                                  GgufValueType::STRING, GgufValueType::STRING, GgufValueType::STRING};
  for (size_t i = 0; i < 15; ++i) CHECK(f->metadata()[i].value.type == expect[i]);
  CHECK_EQ(f->tensors().size(), 0u);
  CHECK_EQ(f->data_offset(), f->file_size());  // no tensors: no padding written
}

TEST(float_specials) {
  GgufWriter w;
  w.set_f32("inf", std::numeric_limits<float>::infinity());
  w.set_f64("nan", std::nan(""));
  w.set_f32("denorm", std::numeric_limits<float>::denorm_min());
  auto f = reread(w);
  CHECK(std::isinf(*f->get_float("inf")));
  CHECK(std::isnan(*f->get_float("nan")));
  CHECK_EQ(*f->get_float("denorm"), double(std::numeric_limits<float>::denorm_min()));
}

TEST(arrays_of_every_type) {
  GgufWriter w;
  const uint8_t u8s[] = {0, 1, 255};
  const int8_t i8s[] = {-128, 0, 127};
  const uint16_t u16s[] = {0, 65535};
  const int16_t i16s[] = {-32768, 32767};
  const uint32_t u32s[] = {0, 4294967295u};
  const int32_t i32s[] = {-2147483647 - 1, 2147483647};
  const uint64_t u64s[] = {0, std::numeric_limits<uint64_t>::max()};
  const int64_t i64s[] = {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  const float f32s[] = {-1.5f, 0.25f, 3e38f};
  const double f64s[] = {1e-300, -2.5};
  const uint8_t bools[] = {1, 0, 1, 1};
  w.set_array("u8", GgufValueType::UINT8, u8s, 3);
  w.set_array("i8", GgufValueType::INT8, i8s, 3);
  w.set_array("u16", GgufValueType::UINT16, u16s, 2);
  w.set_array("i16", GgufValueType::INT16, i16s, 2);
  w.set_array("u32", GgufValueType::UINT32, u32s, 2);
  w.set_array("i32", GgufValueType::INT32, i32s, 2);
  w.set_array("u64", GgufValueType::UINT64, u64s, 2);
  w.set_array("i64", GgufValueType::INT64, i64s, 2);
  w.set_array("f32", GgufValueType::FLOAT32, f32s, 3);
  w.set_array("f64", GgufValueType::FLOAT64, f64s, 2);
  w.set_array("bool", GgufValueType::BOOL, bools, 4);
  w.set_array("empty", GgufValueType::INT32, nullptr, 0);
  w.set_array_str("strs", {"a", "", std::string(300, 'z'), "\xe2\x96\x81the"});
  w.set_array_str("no_strs", {});
  w.set_array_i32("i32b", {7, -7});
  w.set_array_f32("f32b", {0.5f});
  auto f = reread(w);
  auto ints = [&](const char* k) { return f->get_array(k)->ints; };
  CHECK(ints("u8") == (std::vector<int64_t>{0, 1, 255}));
  CHECK(ints("i8") == (std::vector<int64_t>{-128, 0, 127}));
  CHECK(ints("u16") == (std::vector<int64_t>{0, 65535}));
  CHECK(ints("i16") == (std::vector<int64_t>{-32768, 32767}));
  CHECK(ints("u32") == (std::vector<int64_t>{0, 4294967295ll}));
  CHECK(ints("i32") == (std::vector<int64_t>{-2147483648ll, 2147483647}));
  CHECK(ints("u64") == (std::vector<int64_t>{0, -1}));  // uint64 bit-cast
  CHECK(ints("i64") == (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}));
  CHECK(ints("bool") == (std::vector<int64_t>{1, 0, 1, 1}));
  CHECK(ints("i32b") == (std::vector<int64_t>{7, -7}));
  CHECK(f->get_array("f32")->floats == (std::vector<double>{-1.5, 0.25, double(3e38f)}));
  CHECK(f->get_array("f64")->floats == (std::vector<double>{1e-300, -2.5}));
  CHECK(f->get_array("f32b")->floats == (std::vector<double>{0.5}));
  CHECK_EQ(f->get_array("empty")->array_size(), 0u);
  CHECK(f->get_array("empty")->elem_type == GgufValueType::INT32);
  const auto* strs = f->get_array("strs");
  CHECK(strs->elem_type == GgufValueType::STRING);
  CHECK(strs->strs == (std::vector<std::string>{"a", "", std::string(300, 'z'), "\xe2\x96\x81the"}));
  CHECK_EQ(f->get_array("no_strs")->array_size(), 0u);
  CHECK(f->get_array("u8")->elem_type == GgufValueType::UINT8);
  CHECK(f->get_array("bool")->elem_type == GgufValueType::BOOL);
  CHECK(f->get_array("f64")->elem_type == GgufValueType::FLOAT64);
  CHECK_EQ(f->get_array("f32")->array_size(), 3u);
  CHECK(f->get_array("absent") == nullptr);
}

TEST(typed_getters_refuse_wrong_types) {
  GgufWriter w;
  w.set_string("s", "text");
  w.set_u32("n", 5);
  w.set_bool("b", true);
  w.set_f32("x", 1.5f);
  w.set_array_i32("arr", {1});
  auto f = reread(w);
  CHECK_GGUF_CODE(f->get_int("s"), "GGUF_TYPE");
  CHECK_GGUF_CODE(f->get_int("x"), "GGUF_TYPE");
  CHECK_GGUF_CODE(f->get_int("arr"), "GGUF_TYPE");
  CHECK_GGUF_CODE(f->get_float("s"), "GGUF_TYPE");
  CHECK_GGUF_CODE(f->get_float("b"), "GGUF_TYPE");
  CHECK_GGUF_CODE(f->get_bool("n"), "GGUF_TYPE");
  CHECK_GGUF_CODE(f->get_string("n"), "GGUF_TYPE");
  CHECK_GGUF_CODE(f->get_string("arr"), "GGUF_TYPE");
  CHECK_GGUF_CODE(f->get_array("s"), "GGUF_TYPE");
  CHECK(!f->get_int("absent"));
  CHECK(!f->get_float("absent"));
  CHECK(!f->get_bool("absent"));
  CHECK(!f->get_string("absent"));
  CHECK_EQ(*f->get_float("n"), 5.0);
  try {
    f->get_string("arr");
  } catch (const tome::Error& e) {
    CHECK(gguf_test::contains(e.what(), "'arr'"));
    CHECK(gguf_test::contains(e.what(), "array of int32, expected string"));
  }
}

TEST(set_replaces_in_place_and_remove) {
  GgufWriter w;
  w.set_u32("first", 1);
  w.set_u32("second", 2);
  w.set_string("first", "again");
  CHECK_EQ(w.n_kv(), 2u);
  CHECK(w.remove("second"));
  CHECK(!w.remove("second"));
  w.set_u8("third", 3);
  auto f = reread(w);
  CHECK_EQ(f->metadata().size(), 2u);
  CHECK_EQ(f->metadata()[0].key, std::string("first"));
  CHECK_EQ(*f->get_string("first"), std::string("again"));
  CHECK_EQ(f->metadata()[1].key, std::string("third"));
}

TEST(set_value_copies_a_read_value) {
  auto src = GgufFile::from_bytes(gguf_test::small_model_bytes());
  GgufWriter w;
  for (const auto& kv : src->metadata()) w.set_value(kv.key, kv.value);
  auto f = reread(w);
  CHECK_EQ(f->metadata().size(), src->metadata().size());
  CHECK(f->get_array("tokenizer.ggml.tokens")->strs == src->get_array("tokenizer.ggml.tokens")->strs);
  CHECK(f->get_array("tokenizer.ggml.scores")->floats == src->get_array("tokenizer.ggml.scores")->floats);
  CHECK_EQ(*f->get_float("llama.attention.layer_norm_rms_epsilon"), double(1e-5f));
}

namespace {
void check_tensors_round_trip(uint32_t alignment) {
  GgufWriter w;
  if (alignment) w.set_alignment(alignment);
  struct Spec { const char* name; GgmlType type; std::vector<int64_t> dims; };
  const std::vector<Spec> specs = {
      {"f32.1d", GgmlType::F32, {5}},                 // 20 bytes: padding follows
      {"f16.2d", GgmlType::F16, {3, 7}},
      {"q8_0", GgmlType::Q8_0, {64, 3}},
      {"q4_0.3d", GgmlType::Q4_0, {32, 2, 2}},
      {"q4_k.4d", GgmlType::Q4_K, {256, 1, 2, 1}},
      {"iq2_xxs.unsupported", GgmlType::IQ2_XXS, {512}},  // known type tome cannot compute with: still read
      {"bf16", GgmlType::BF16, {1}},
      {"i32", GgmlType::I32, {3, 1, 1, 2}},
  };
  std::vector<std::vector<uint8_t>> datas;
  for (size_t i = 0; i < specs.size(); ++i) {
    datas.push_back(gguf_test::pattern(size_t(GgufWriter::tensor_nbytes(specs[i].type, specs[i].dims)), uint32_t(i)));
    w.add_tensor(specs[i].name, specs[i].type, specs[i].dims, datas[i].data(), datas[i].size());
  }
  CHECK_EQ(w.n_tensors(), specs.size());
  auto bytes = w.to_bytes();
  auto f = GgufFile::from_bytes(bytes);
  const uint64_t a = alignment ? alignment : 32;
  CHECK_EQ(f->alignment(), a);
  CHECK_EQ(f->data_offset() % a, 0u);
  CHECK_EQ(f->tensors().size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& t = f->tensors()[i];
    CHECK_EQ(t.name, std::string(specs[i].name));
    CHECK(f->tensor(specs[i].name) == &t);
    CHECK_EQ(t.type, uint32_t(specs[i].type));
    CHECK_EQ(t.n_dims, uint32_t(specs[i].dims.size()));
    int64_t n = 1;
    for (size_t d = 0; d < 4; ++d) {
      int64_t e = d < specs[i].dims.size() ? specs[i].dims[d] : 1;
      CHECK_EQ(t.ne[d], e);
      n *= e;
    }
    CHECK_EQ(t.n_elements(), n);
    CHECK_EQ(t.nbytes, uint64_t(datas[i].size()));
    CHECK_EQ(t.offset % a, 0u);
    CHECK(std::equal(datas[i].begin(), datas[i].end(), bytes.begin() + std::ptrdiff_t(f->data_offset() + t.offset)));
    CHECK(std::equal(datas[i].begin(), datas[i].end(), t.data));
  }
  const auto& last = f->tensors().back();
  uint64_t end = f->data_offset() + last.offset + last.nbytes;
  CHECK_EQ(f->file_size(), end + (a - end % a) % a);  // every tensor, the last too, is padded
}
}  // namespace

TEST(tensors_alignment_32_default) { check_tensors_round_trip(0); }
TEST(tensors_alignment_64) { check_tensors_round_trip(64); }
TEST(tensors_alignment_1) { check_tensors_round_trip(1); }
TEST(tensors_alignment_4096) { check_tensors_round_trip(4096); }

TEST(fill_and_owned_tensors) {
  GgufWriter w;
  int calls = 0;
  w.add_tensor_fill("filled", GgmlType::F32, {4, 2}, [&calls](uint8_t* dst, size_t n) {
    ++calls;
    for (size_t i = 0; i < n; ++i) dst[i] = uint8_t(i * 3);
  });
  w.add_tensor_owned("owned", GgmlType::F16, {2}, {1, 2, 3, 4});
  auto f = reread(w);
  CHECK_EQ(calls, 1);
  const auto* t = f->tensor("filled");
  CHECK_EQ(t->nbytes, 32u);
  for (size_t i = 0; i < 32; ++i) CHECK_EQ(int(t->data[i]), int(uint8_t(i * 3)));
  const auto* o = f->tensor("owned");
  CHECK_EQ(int(o->data[3]), 4);
}

TEST(writer_refuses_bad_arguments) {
  GgufWriter w;
  std::vector<uint8_t> d(64);
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::F32, {}, d.data(), 0), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::F32, {1, 1, 1, 1, 1}, d.data(), 4), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::F32, {0}, d.data(), 0), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::F32, {-1}, d.data(), 0), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::Q8_0, {16}, d.data(), 17), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::F32, {4}, d.data(), 15), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::F32, {4}, nullptr, 16), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType(77), {4}, d.data(), 16), "GGUF_BAD_TYPE");
  CHECK_GGUF_CODE(w.add_tensor("", GgmlType::F32, {4}, d.data(), 16), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.add_tensor(std::string(65536, 'n'), GgmlType::F32, {4}, d.data(), 16), "GGUF_LIMIT");
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::F32, {INT64_MAX, 2}, d.data(), 16), "GGUF_BAD_VALUE");
  w.add_tensor("t", GgmlType::F32, {4}, d.data(), 16);
  CHECK_GGUF_CODE(w.add_tensor("t", GgmlType::F32, {4}, d.data(), 16), "GGUF_DUPLICATE");
  CHECK_GGUF_CODE(w.set_u32("", 1), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.set_alignment(0), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.set_alignment(48), "GGUF_BAD_VALUE");
  CHECK_GGUF_CODE(w.set_array("k", GgufValueType::STRING, nullptr, 0), "GGUF_BAD_TYPE");
  CHECK_GGUF_CODE(w.set_array("k", GgufValueType::ARRAY, nullptr, 0), "GGUF_NESTED_ARRAY");
  CHECK_GGUF_CODE(w.set_array("k", GgufValueType(99), nullptr, 0), "GGUF_BAD_TYPE");
  tome::GgufValue nested;
  nested.type = GgufValueType::ARRAY;
  nested.elem_type = GgufValueType::ARRAY;
  CHECK_GGUF_CODE(w.set_value("k", nested), "GGUF_NESTED_ARRAY");
  tome::GgufValue unknown;
  unknown.type = GgufValueType(13);
  CHECK_GGUF_CODE(w.set_value("k", unknown), "GGUF_BAD_TYPE");
  // general.alignment set by hand: checked when writing.
  w.set_u32("general.alignment", 24);
  CHECK_GGUF_CODE(w.to_bytes(), "GGUF_BAD_VALUE");
  w.set_u64("general.alignment", 32);
  CHECK_GGUF_CODE(w.to_bytes(), "GGUF_TYPE");
  w.set_u32("general.alignment", 32);
  CHECK_EQ(GgufFile::from_bytes(w.to_bytes())->tensors().size(), 1u);
}

TEST(write_to_file_then_open) {
  TempDir dir;
  const std::string path = (dir.path / "model.gguf").string();
  GgufWriter w;
  gguf_test::fill_small_model(w);
  w.write_to_file(path);
  CHECK(!std::filesystem::exists(path + ".tmp"));
  CHECK(read_file(path) == w.to_bytes());
  auto f = GgufFile::open(path);
  CHECK_EQ(f->path(), path);
  CHECK_EQ(f->tensors().size(), 4u);
  CHECK_EQ(f->get_array("tokenizer.ggml.tokens")->strs.size(), 40u);
  CHECK_EQ(f->data_offset() + f->tensors().back().offset + f->tensors().back().nbytes, f->file_size());
  // Overwriting an existing file replaces it.
  GgufWriter w2;
  w2.set_string("general.name", "second");
  w2.write_to_file(path);
  CHECK_EQ(*GgufFile::open(path)->get_string("general.name"), std::string("second"));
}

TEST(io_errors) {
  TempDir dir;
  GgufWriter w;
  w.set_u32("k", 1);
  const std::string missing_dir = (dir.path / "no" / "such" / "dir" / "m.gguf").string();
  CHECK_GGUF_CODE(w.write_to_file(missing_dir), "IO_WRITE");
  try {
    w.write_to_file(missing_dir);
  } catch (const tome::Error& e) {
    CHECK(gguf_test::contains(e.what(), "No such file or directory"));
  }
  CHECK_GGUF_CODE(GgufFile::open((dir.path / "absent.gguf").string()), "IO_OPEN");
  CHECK_GGUF_CODE(GgufFile::open(dir.path.string()), "IO_OPEN");  // a directory
  const std::string empty = (dir.path / "empty.gguf").string();
  std::ofstream(empty).close();
  CHECK_GGUF_CODE(GgufFile::open(empty), "GGUF_TRUNCATED");
}

TEST(version_2_is_read) {
  auto bytes = gguf_test::small_model_bytes();
  gguf_test::put_le(bytes, 4, 2, 4);
  auto f = GgufFile::from_bytes(bytes);
  CHECK_EQ(f->version(), 2u);
  CHECK_EQ(f->tensors().size(), 4u);
}

TEST(small_model_round_trip) {
  auto f = GgufFile::from_bytes(gguf_test::small_model_bytes());
  CHECK_EQ(f->metadata().size(), 9u);
  CHECK_EQ(f->tensors().size(), 4u);
  CHECK_EQ(*f->get_string("general.architecture"), std::string("llama"));
  CHECK_EQ(f->get_array("tokenizer.ggml.token_type")->ints.size(), 40u);
  CHECK_EQ(f->tensor("token_embd.weight")->nbytes, 40u * 34);
  auto q = gguf_test::pattern(40 * 34, 1);
  CHECK(std::equal(q.begin(), q.end(), f->tensor("token_embd.weight")->data));
  const auto& last = f->tensors().back();
  CHECK_EQ(f->data_offset() + last.offset + last.nbytes, f->file_size());
}

TOME_TEST_MAIN()
