#include "gguf/gguf_file.h"

#include <algorithm>
#include <cstdio>

#include "common/error.h"
#include "gguf/byte_cursor.h"
#include "gguf/file_map.h"
#include "gguf/gguf_value_reader.h"

namespace tome {

namespace {

constexpr uint64_t kMaxNameBytes = 65535;  // keys and tensor names (the spec's key limit)
constexpr uint32_t kMaxDims = 4;
// Smallest encodings, to cap counts against the bytes left before reserving.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;               // key length, key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name length, name, n_dims, ne, type, offset

[[noreturn]] void fail(const char* code, const std::string& message) { throw Error(code, message); }

// A name for messages: quoted, non-printable bytes escaped, at most 64 bytes shown.
std::string quoted(std::string_view s) {
  std::string out = "'";
  size_t n = std::min<size_t>(s.size(), 64);
  for (size_t i = 0; i < n; ++i) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x20 && ch < 0x7f && ch != '\'' && ch != '\\') {
      out += char(ch);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    }
  }
  if (s.size() > n) out += "...";
  return out + "'";
}

std::string at(uint64_t offset) { return " at offset " + std::to_string(offset); }

bool is_power_of_two(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

}  // namespace

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path, const GgufLimits& limits) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  f->map_ = FileMap::open(path);
  f->base_ = f->map_->data();
  f->size_ = f->map_->size();
  f->parse(limits);
  return f;
}

std::unique_ptr<GgufFile> GgufFile::from_bytes(std::vector<uint8_t> bytes, const GgufLimits& limits) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->owned_ = std::move(bytes);
  f->base_ = f->owned_.data();
  f->size_ = f->owned_.size();
  f->parse(limits);
  return f;
}

GgufFile::~GgufFile() = default;

// Layout (little-endian): "GGUF", u32 version, u64 n_tensors, u64 n_kv,
// n_kv x {string key, u32 type, value}, n_tensors x {string name, u32 n_dims,
// n_dims x i64 ne, u32 ggml type, u64 offset}, padding to the alignment, data.
// A string is a u64 length then that many bytes (no terminator).
void GgufFile::parse(const GgufLimits& limits) {
  ByteCursor c(base_, size_);
  GgufValueReader r(c, limits);

  // --- header
  std::string_view magic = c.view(4, "magic");
  if (magic != "GGUF")
    fail("GGUF_BAD_MAGIC", "not a GGUF file: magic at offset 0 is " + quoted(magic) + ", expected 'GGUF'");
  uint64_t version_at = c.pos();
  version_ = c.u32("version");
  if (version_ == 0x02000000u || version_ == 0x03000000u)
    fail("GGUF_VERSION", "version" + at(version_at) + ": big-endian GGUF files are not supported");
  if (version_ == 1)
    fail("GGUF_VERSION", "version" + at(version_at) + ": GGUF version 1 is not supported (versions 2 and 3 are)");
  if (version_ != 2 && version_ != 3)
    fail("GGUF_VERSION", "version" + at(version_at) + ": unknown GGUF version " + std::to_string(version_) +
                             " (versions 2 and 3 are supported)");
  const uint64_t n_tensors = r.read_count("tensor count", limits.max_tensors, kMinTensorInfoBytes);
  const uint64_t n_kv = r.read_count("metadata count", limits.max_kv, kMinKvBytes);

  // --- metadata
  r.charge(saturating_mul(n_kv, sizeof(GgufKV)), "metadata count");
  kv_.reserve(size_t(n_kv));  // n_kv * kMinKvBytes <= file size
  const uint64_t max_name = std::min(kMaxNameBytes, limits.max_string);
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t kv_at = c.pos();
    const std::string index = "metadata " + std::to_string(i);
    c.set_context(index);
    GgufKV kv;
    kv.offset = kv_at;
    kv.key = r.read_string(CursorField("key length"), "key", max_name);
    if (kv.key.empty()) fail("GGUF_BAD_VALUE", index + " key" + at(kv_at) + " is empty");
    c.set_context(index + " (" + quoted(kv.key) + ")");
    auto dup = kv_index_.find(kv.key);
    if (dup != kv_index_.end())
      fail("GGUF_DUPLICATE", c.context() + " key" + at(kv_at) + " repeats metadata " +
                                 std::to_string(dup->second) + at(kv_[dup->second].offset));
    GgufValueType type = r.read_type("value type");
    r.read_value(type, kv.value);
    kv_index_.emplace(kv.key, kv_.size());
    kv_.push_back(std::move(kv));
  }
  c.set_context("");

  if (const GgufKV* a = find("general.alignment")) {
    if (a->value.type != GgufValueType::UINT32)
      fail("GGUF_TYPE", "metadata 'general.alignment'" + at(a->offset) + " is " +
                            gguf_value_type_name(a->value.type) + ", expected uint32");
    if (!is_power_of_two(uint64_t(a->value.i)))
      fail("GGUF_BAD_VALUE", "metadata 'general.alignment'" + at(a->offset) + ": " +
                                 std::to_string(a->value.i) + " is not a nonzero power of two");
    alignment_ = uint64_t(a->value.i);
  }

  // --- tensor table (n_tensors was capped by the limit and the file size; the
  // loop below fails at the first missing field, naming it)
  r.charge(saturating_mul(n_tensors, sizeof(GgufTensorInfo)), "tensor count");
  tensors_.reserve(size_t(std::min(n_tensors, c.remaining() / kMinTensorInfoBytes)));
  std::vector<uint64_t> offset_at;  // where each tensor's offset field is, for messages
  offset_at.reserve(tensors_.capacity());
  for (uint64_t i = 0; i < n_tensors; ++i) {
    const uint64_t tensor_at = c.pos();
    const std::string index = "tensor " + std::to_string(i);
    c.set_context(index);
    GgufTensorInfo t{};
    t.name = r.read_string(CursorField("name length"), "name", max_name);
    if (t.name.empty()) fail("GGUF_BAD_VALUE", index + " name" + at(tensor_at) + " is empty");
    const std::string ctx = index + " (" + quoted(t.name) + ")";
    c.set_context(ctx);
    auto dup = tensor_index_.find(t.name);
    if (dup != tensor_index_.end())
      fail("GGUF_DUPLICATE", ctx + " name" + at(tensor_at) + " repeats tensor " + std::to_string(dup->second));

    const uint64_t dims_at = c.pos();
    t.n_dims = c.u32("n_dims");
    if (t.n_dims < 1 || t.n_dims > kMaxDims)
      fail("GGUF_BAD_VALUE", ctx + " n_dims" + at(dims_at) + ": " + std::to_string(t.n_dims) +
                                 " is outside 1.." + std::to_string(kMaxDims));
    const uint64_t ne_at = c.pos();
    const uint8_t* ne_bytes = c.take(8 * uint64_t(t.n_dims), "dims");
    uint64_t n_elements = 1;  // product of ne, kept <= INT64_MAX so n_elements() cannot overflow
    for (uint32_t d = 0; d < kMaxDims; ++d) {
      t.ne[d] = d < t.n_dims ? int64_t(ByteCursor::le(ne_bytes + 8 * d, 8)) : 1;
      if (t.ne[d] < 1)
        fail("GGUF_BAD_VALUE", ctx + " dims" + at(ne_at) + ": ne[" + std::to_string(d) + "] = " +
                                   std::to_string(t.ne[d]) + " is not positive");
      if (uint64_t(t.ne[d]) > uint64_t(INT64_MAX) / n_elements)
        fail("GGUF_BAD_VALUE", ctx + " dims" + at(ne_at) + ": the element count overflows int64");
      n_elements *= uint64_t(t.ne[d]);
    }

    const uint64_t type_at = c.pos();
    t.type = c.u32("type");
    const GgmlTypeTraits* traits = ggml_type_traits(t.type);
    if (!traits)
      fail("GGUF_BAD_TYPE", ctx + " type" + at(type_at) + ": " + std::to_string(t.type) +
                                " is not a ggml tensor type");
    if (uint64_t(t.ne[0]) % traits->block_size != 0)
      fail("GGUF_BAD_VALUE", ctx + " dims" + at(ne_at) + ": a row of " + std::to_string(t.ne[0]) +
                                 " elements is not a whole number of " + traits->name + " blocks of " +
                                 std::to_string(traits->block_size));
    // nbytes = (ne[0] / block) * type_size * ne[1] * ne[2] * ne[3]
    uint64_t nbytes = saturating_mul(uint64_t(t.ne[0]) / traits->block_size, traits->type_size);
    for (uint32_t d = 1; d < kMaxDims; ++d) nbytes = saturating_mul(nbytes, uint64_t(t.ne[d]));
    if (nbytes == UINT64_MAX)
      fail("GGUF_BAD_VALUE", ctx + " dims" + at(ne_at) + ": the byte size overflows 64 bits");
    t.nbytes = nbytes;

    offset_at.push_back(c.pos());
    t.offset = c.u64("data offset");
    r.charge(t.name.size(), "name");
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
  c.set_context("");

  // --- data section: starts at the next multiple of the alignment
  const uint64_t header_end = c.pos();
  const uint64_t pad = (alignment_ - header_end % alignment_) % alignment_;
  if (pad > size_ - header_end) {
    if (!tensors_.empty())
      fail("GGUF_TRUNCATED", "padding before the tensor data" + at(header_end) + ": needs " +
                                 std::to_string(pad) + " bytes, " + std::to_string(size_ - header_end) + " left");
    data_offset_ = size_;  // vocab-only files often end unpadded
  } else {
    data_offset_ = header_end + pad;
  }

  const uint64_t data_size = size_ - data_offset_;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    GgufTensorInfo& t = tensors_[i];
    const std::string ctx = "tensor " + std::to_string(i) + " (" + quoted(t.name) + ")";
    if (t.offset % alignment_ != 0)
      fail("GGUF_BAD_VALUE", ctx + " data offset" + at(offset_at[i]) + ": " + std::to_string(t.offset) +
                                 " is not a multiple of the alignment " + std::to_string(alignment_));
    if (t.offset > data_size)
      fail("GGUF_TRUNCATED", ctx + " data offset" + at(offset_at[i]) + ": " + std::to_string(t.offset) +
                                 " is past the end of the data section (" + std::to_string(data_size) +
                                 " bytes)");
    if (t.nbytes > data_size - t.offset)
      fail("GGUF_TRUNCATED", ctx + " data" + at(data_offset_ + t.offset) + ": needs " +
                                 std::to_string(t.nbytes) + " bytes, " +
                                 std::to_string(data_size - t.offset) + " left");
    t.data = base_ + data_offset_ + t.offset;
  }
}

const GgufKV* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second];
}

void GgufFile::type_error(const GgufKV& kv, const char* expected) const {
  std::string found = gguf_value_type_name(kv.value.type);
  if (kv.value.type == GgufValueType::ARRAY) found += std::string(" of ") + gguf_value_type_name(kv.value.elem_type);
  fail("GGUF_TYPE", "metadata " + quoted(kv.key) + at(kv.offset) + " is " + found + ", expected " + expected);
}

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
  const GgufKV* kv = find(key);
  if (!kv) return std::nullopt;
  switch (kv->value.type) {
    case GgufValueType::UINT64:
      if (kv->value.i < 0)  // bit-cast uint64 above INT64_MAX
        fail("GGUF_BAD_VALUE", "metadata " + quoted(kv->key) + at(kv->offset) + ": " +
                                   std::to_string(uint64_t(kv->value.i)) + " does not fit in int64");
      return kv->value.i;
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::UINT16:
    case GgufValueType::INT16: case GgufValueType::UINT32: case GgufValueType::INT32:
    case GgufValueType::INT64: case GgufValueType::BOOL:
      return kv->value.i;
    default:
      type_error(*kv, "an integer");
  }
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
  const GgufKV* kv = find(key);
  if (!kv) return std::nullopt;
  switch (kv->value.type) {
    case GgufValueType::FLOAT32: case GgufValueType::FLOAT64:
      return kv->value.f;
    case GgufValueType::UINT64:
      return double(uint64_t(kv->value.i));
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::UINT16:
    case GgufValueType::INT16: case GgufValueType::UINT32: case GgufValueType::INT32:
    case GgufValueType::INT64:
      return double(kv->value.i);
    default:
      type_error(*kv, "a number");
  }
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufKV* kv = find(key);
  if (!kv) return std::nullopt;
  if (kv->value.type != GgufValueType::BOOL) type_error(*kv, "bool");
  return kv->value.i != 0;
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
  const GgufKV* kv = find(key);
  if (!kv) return std::nullopt;
  if (kv->value.type != GgufValueType::STRING) type_error(*kv, "string");
  return kv->value.str;
}

const GgufValue* GgufFile::get_array(std::string_view key) const {
  const GgufKV* kv = find(key);
  if (!kv) return nullptr;
  if (kv->value.type != GgufValueType::ARRAY) type_error(*kv, "array");
  return &kv->value;
}

const GgufTensorInfo* GgufFile::tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

void GgufFile::release(const uint8_t* p, uint64_t n) const noexcept {
  if (map_) map_->release(p, n);
}

}  // namespace tome
