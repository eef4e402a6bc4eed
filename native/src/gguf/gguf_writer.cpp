#include "gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "common/error.h"
#include "common/windows_api.h"

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace tome {

namespace {

constexpr uint64_t kMaxNameBytes = 65535;  // the reader's limit for keys and tensor names
constexpr uint32_t kVersion = 3;

bool is_float(GgufValueType t) { return t == GgufValueType::FLOAT32 || t == GgufValueType::FLOAT64; }

void check_name(const std::string& name, const char* what) {
  if (name.empty()) throw Error("GGUF_BAD_VALUE", std::string("GgufWriter: empty ") + what);
  if (name.size() > kMaxNameBytes)
    throw Error("GGUF_LIMIT", std::string("GgufWriter: ") + what + " of " + std::to_string(name.size()) +
                                  " bytes is longer than " + std::to_string(kMaxNameBytes));
}

// Little-endian encoding into a growing byte buffer.
struct Bytes {
  std::vector<uint8_t> b;
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(uint8_t(v >> (8 * i)));
  }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    b.insert(b.end(), s.begin(), s.end());
  }
  void f32(double v) {
    float f = float(v);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    le(bits, 4);
  }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    le(bits, 8);
  }
  // One integer/bool scalar (the int64 holds uint64 bit-cast), or one float scalar.
  void scalar_int(GgufValueType t, int64_t v) {
    if (t == GgufValueType::BOOL) v = v != 0;
    le(uint64_t(v), int(gguf_value_type_size(t)));
  }
  void scalar_float(GgufValueType t, double v) {
    if (t == GgufValueType::FLOAT32) f32(v); else f64(v);
  }
  void value(const GgufValue& v) {
    switch (v.type) {
      case GgufValueType::STRING: str(v.str); return;
      case GgufValueType::ARRAY:
        u32(uint32_t(v.elem_type));
        u64(v.array_size());
        if (v.elem_type == GgufValueType::STRING) {
          for (const std::string& s : v.strs) str(s);
        } else if (is_float(v.elem_type)) {
          for (double x : v.floats) scalar_float(v.elem_type, x);
        } else {
          for (int64_t x : v.ints) scalar_int(v.elem_type, x);
        }
        return;
      default:
        if (is_float(v.type)) scalar_float(v.type, v.f); else scalar_int(v.type, v.i);
    }
  }
};

GgufValue scalar_int(GgufValueType t, int64_t i) {
  GgufValue v;
  v.type = t;
  v.i = i;
  return v;
}

GgufValue scalar_float(GgufValueType t, double f) {
  GgufValue v;
  v.type = t;
  v.f = f;
  return v;
}

// Element i of a host array of the C type matching t.
template <class T>
T load(const void* data, size_t i) {
  T x;
  std::memcpy(&x, static_cast<const uint8_t*>(data) + i * sizeof(T), sizeof(T));
  return x;
}

}  // namespace

struct GgufWriter::Tensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> dims;
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // add_tensor: the caller's bytes
  std::vector<uint8_t> owned;     // add_tensor_owned
  Fill fill;                      // add_tensor_fill
};

GgufWriter::GgufWriter() = default;
GgufWriter::~GgufWriter() = default;

void GgufWriter::set(const std::string& key, GgufValue v) {
  check_name(key, "metadata key");
  for (GgufKV& kv : kv_) {
    if (kv.key == key) {
      kv.value = std::move(v);
      return;
    }
  }
  kv_.push_back(GgufKV{key, std::move(v), 0});
}

void GgufWriter::set_u8(const std::string& k, uint8_t v) { set(k, scalar_int(GgufValueType::UINT8, v)); }
void GgufWriter::set_i8(const std::string& k, int8_t v) { set(k, scalar_int(GgufValueType::INT8, v)); }
void GgufWriter::set_u16(const std::string& k, uint16_t v) { set(k, scalar_int(GgufValueType::UINT16, v)); }
void GgufWriter::set_i16(const std::string& k, int16_t v) { set(k, scalar_int(GgufValueType::INT16, v)); }
void GgufWriter::set_u32(const std::string& k, uint32_t v) { set(k, scalar_int(GgufValueType::UINT32, v)); }
void GgufWriter::set_i32(const std::string& k, int32_t v) { set(k, scalar_int(GgufValueType::INT32, v)); }
void GgufWriter::set_u64(const std::string& k, uint64_t v) { set(k, scalar_int(GgufValueType::UINT64, int64_t(v))); }
void GgufWriter::set_i64(const std::string& k, int64_t v) { set(k, scalar_int(GgufValueType::INT64, v)); }
void GgufWriter::set_f32(const std::string& k, float v) { set(k, scalar_float(GgufValueType::FLOAT32, v)); }
void GgufWriter::set_f64(const std::string& k, double v) { set(k, scalar_float(GgufValueType::FLOAT64, v)); }
void GgufWriter::set_bool(const std::string& k, bool v) { set(k, scalar_int(GgufValueType::BOOL, v)); }

void GgufWriter::set_string(const std::string& k, std::string s) {
  GgufValue v;
  v.type = GgufValueType::STRING;
  v.str = std::move(s);
  set(k, std::move(v));
}

void GgufWriter::set_alignment(uint32_t a) {
  if (a == 0 || (a & (a - 1)) != 0)
    throw Error("GGUF_BAD_VALUE", "GgufWriter: alignment " + std::to_string(a) + " is not a nonzero power of two");
  set_u32("general.alignment", a);
}

void GgufWriter::set_array_str(const std::string& k, std::vector<std::string> s) {
  GgufValue v;
  v.type = GgufValueType::ARRAY;
  v.elem_type = GgufValueType::STRING;
  v.strs = std::move(s);
  set(k, std::move(v));
}

void GgufWriter::set_array_i32(const std::string& k, const std::vector<int32_t>& a) {
  set_array(k, GgufValueType::INT32, a.data(), a.size());
}

void GgufWriter::set_array_f32(const std::string& k, const std::vector<float>& a) {
  set_array(k, GgufValueType::FLOAT32, a.data(), a.size());
}

void GgufWriter::set_array(const std::string& k, GgufValueType t, const void* data, size_t n) {
  if (t == GgufValueType::STRING || gguf_value_type_size(t) == 0)
    throw Error(t == GgufValueType::ARRAY ? "GGUF_NESTED_ARRAY" : "GGUF_BAD_TYPE",
                "GgufWriter: set_array('" + k + "') takes numbers or bools, not " + gguf_value_type_name(t));
  GgufValue v;
  v.type = GgufValueType::ARRAY;
  v.elem_type = t;
  if (is_float(t)) v.floats.resize(n); else v.ints.resize(n);
  for (size_t i = 0; i < n; ++i) {
    switch (t) {
      case GgufValueType::UINT8: v.ints[i] = load<uint8_t>(data, i); break;
      case GgufValueType::INT8: v.ints[i] = load<int8_t>(data, i); break;
      case GgufValueType::UINT16: v.ints[i] = load<uint16_t>(data, i); break;
      case GgufValueType::INT16: v.ints[i] = load<int16_t>(data, i); break;
      case GgufValueType::UINT32: v.ints[i] = load<uint32_t>(data, i); break;
      case GgufValueType::INT32: v.ints[i] = load<int32_t>(data, i); break;
      case GgufValueType::UINT64: v.ints[i] = int64_t(load<uint64_t>(data, i)); break;
      case GgufValueType::INT64: v.ints[i] = load<int64_t>(data, i); break;
      case GgufValueType::BOOL: v.ints[i] = load<uint8_t>(data, i) != 0; break;
      case GgufValueType::FLOAT32: v.floats[i] = load<float>(data, i); break;
      case GgufValueType::FLOAT64: v.floats[i] = load<double>(data, i); break;
      default: break;  // refused above
    }
  }
  set_value(k, std::move(v));
}

void GgufWriter::set_value(const std::string& k, GgufValue v) {
  if (uint32_t(v.type) > uint32_t(GgufValueType::FLOAT64))
    throw Error("GGUF_BAD_TYPE", "GgufWriter: metadata '" + k + "' has unknown value type " +
                                     std::to_string(uint32_t(v.type)));
  if (v.type == GgufValueType::ARRAY) {
    if (v.elem_type == GgufValueType::ARRAY)
      throw Error("GGUF_NESTED_ARRAY", "GgufWriter: metadata '" + k + "' is an array of arrays");
    if (uint32_t(v.elem_type) > uint32_t(GgufValueType::FLOAT64))
      throw Error("GGUF_BAD_TYPE", "GgufWriter: metadata '" + k + "' has unknown array element type " +
                                       std::to_string(uint32_t(v.elem_type)));
  }
  set(k, std::move(v));
}

bool GgufWriter::remove(const std::string& key) {
  for (size_t i = 0; i < kv_.size(); ++i) {
    if (kv_[i].key == key) {
      kv_.erase(kv_.begin() + std::ptrdiff_t(i));
      return true;
    }
  }
  return false;
}

uint64_t GgufWriter::tensor_nbytes(GgmlType type, const std::vector<int64_t>& dims) {
  const GgmlTypeTraits* tr = ggml_type_traits(type);
  if (!tr)
    throw Error("GGUF_BAD_TYPE", std::string("GgufWriter: unknown tensor type ") + ggml_type_name(uint32_t(type)));
  if (dims.empty() || dims.size() > 4)
    throw Error("GGUF_BAD_VALUE", "GgufWriter: a tensor has 1 to 4 dims, not " + std::to_string(dims.size()));
  uint64_t n_elements = 1;
  for (int64_t d : dims) {
    if (d < 1) throw Error("GGUF_BAD_VALUE", "GgufWriter: tensor dim " + std::to_string(d) + " is not positive");
    if (uint64_t(d) > uint64_t(INT64_MAX) / n_elements)
      throw Error("GGUF_BAD_VALUE", "GgufWriter: tensor element count overflows int64");
    n_elements *= uint64_t(d);
  }
  if (uint64_t(dims[0]) % tr->block_size != 0)
    throw Error("GGUF_BAD_VALUE", "GgufWriter: a row of " + std::to_string(dims[0]) + " elements is not a whole number of " +
                                      tr->name + " blocks of " + std::to_string(tr->block_size));
  uint64_t blocks = n_elements / tr->block_size;
  if (blocks > UINT64_MAX / tr->type_size) throw Error("GGUF_BAD_VALUE", "GgufWriter: tensor byte size overflows");
  return blocks * tr->type_size;
}

void GgufWriter::add(const std::string& name, GgmlType type, std::vector<int64_t> dims, uint64_t nbytes, Tensor t) {
  check_name(name, "tensor name");
  for (const Tensor& o : tensors_)
    if (o.name == name) throw Error("GGUF_DUPLICATE", "GgufWriter: tensor '" + name + "' added twice");
  const uint64_t expect = tensor_nbytes(type, dims);
  if (nbytes != expect)
    throw Error("GGUF_BAD_VALUE", "GgufWriter: tensor '" + name + "' has " + std::to_string(nbytes) +
                                      " bytes of data, its type and shape need " + std::to_string(expect));
  t.name = name;
  t.type = type;
  t.dims = std::move(dims);
  t.nbytes = nbytes;
  tensors_.push_back(std::move(t));
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> dims, const void* data,
                            size_t nbytes) {
  if (!data) throw Error("GGUF_BAD_VALUE", "GgufWriter: tensor '" + name + "' has no data");
  Tensor t;
  t.data = static_cast<const uint8_t*>(data);
  add(name, type, std::move(dims), nbytes, std::move(t));
}

void GgufWriter::add_tensor_owned(const std::string& name, GgmlType type, std::vector<int64_t> dims,
                                  std::vector<uint8_t> data) {
  Tensor t;
  const uint64_t n = data.size();
  t.owned = std::move(data);
  add(name, type, std::move(dims), n, std::move(t));
}

void GgufWriter::add_tensor_fill(const std::string& name, GgmlType type, std::vector<int64_t> dims, Fill fill) {
  Tensor t;
  t.fill = std::move(fill);
  const uint64_t n = tensor_nbytes(type, dims);
  add(name, type, std::move(dims), n, std::move(t));
}

size_t GgufWriter::n_kv() const { return kv_.size(); }
size_t GgufWriter::n_tensors() const { return tensors_.size(); }

uint32_t GgufWriter::alignment() const {
  for (const GgufKV& kv : kv_) {
    if (kv.key != "general.alignment") continue;
    if (kv.value.type != GgufValueType::UINT32)
      throw Error("GGUF_TYPE", std::string("GgufWriter: general.alignment is ") + gguf_value_type_name(kv.value.type) +
                                   ", expected uint32");
    const uint64_t a = uint64_t(kv.value.i);
    if (a == 0 || (a & (a - 1)) != 0)
      throw Error("GGUF_BAD_VALUE", "GgufWriter: general.alignment " + std::to_string(a) +
                                        " is not a nonzero power of two");
    return uint32_t(a);
  }
  return kDefaultAlignment;
}

// Header, metadata and tensor table are built in memory (small); tensor data
// is streamed tensor by tensor.
void GgufWriter::write(const Sink& out) const {
  const uint64_t align = alignment();
  auto pad_to = [align](uint64_t n) { return (align - n % align) % align; };

  Bytes h;
  h.b.insert(h.b.end(), {'G', 'G', 'U', 'F'});
  h.u32(kVersion);
  h.u64(tensors_.size());
  h.u64(kv_.size());
  for (const GgufKV& kv : kv_) {
    h.str(kv.key);
    h.u32(uint32_t(kv.value.type));
    h.value(kv.value);
  }
  uint64_t offset = 0;  // within the data section
  for (const Tensor& t : tensors_) {
    h.str(t.name);
    h.u32(uint32_t(t.dims.size()));
    for (int64_t d : t.dims) h.u64(uint64_t(d));
    h.u32(uint32_t(t.type));
    h.u64(offset);
    offset += t.nbytes + pad_to(t.nbytes);
  }
  if (!tensors_.empty()) h.b.resize(h.b.size() + pad_to(h.b.size()), 0);
  out(h.b.data(), h.b.size());

  const std::vector<uint8_t> zeros(align, 0);
  std::vector<uint8_t> scratch;  // add_tensor_fill output, one tensor at a time
  for (const Tensor& t : tensors_) {
    const uint8_t* p = t.data;
    if (t.fill) {
      scratch.assign(size_t(t.nbytes), 0);
      t.fill(scratch.data(), scratch.size());
      p = scratch.data();
    } else if (!t.owned.empty()) {
      p = t.owned.data();
    }
    out(p, size_t(t.nbytes));
    out(zeros.data(), size_t(pad_to(t.nbytes)));
  }
}

namespace {

[[noreturn]] void io_error(const std::string& what, const std::string& path, int err) {
  throw Error("IO_WRITE", what + " " + path + ": " + std::strerror(err));
}

// A file written through stdio with a 1 MiB buffer.
class FileSink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) {
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) io_error("cannot create", path_, errno);
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  }
  ~FileSink() {
    if (f_) std::fclose(f_);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  void write(const uint8_t* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) io_error("cannot write", path_, errno);
  }
  // Flushes to the disk and closes; errors such as ENOSPC may only show here.
  void close() {
    if (std::fflush(f_) != 0) io_error("cannot write", path_, errno);
#ifdef _WIN32
    if (_commit(_fileno(f_)) != 0) io_error("cannot flush", path_, errno);
#else
    if (::fsync(fileno(f_)) != 0) io_error("cannot flush", path_, errno);
#endif
    FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) io_error("cannot close", path_, errno);
  }

 private:
  std::string path_;
  FILE* f_ = nullptr;
};

}  // namespace

std::vector<uint8_t> GgufWriter::to_bytes() const {
  std::vector<uint8_t> bytes;
  write([&bytes](const uint8_t* p, size_t n) { bytes.insert(bytes.end(), p, p + n); });
  return bytes;
}

void GgufWriter::write_to_file(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  try {
    FileSink out(tmp);
    write([&out](const uint8_t* p, size_t n) { out.write(p, n); });
    out.close();
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
#ifdef _WIN32
  const bool renamed = MoveFileExA(tmp.c_str(), path.c_str(), MOVEFILE_REPLACE_EXISTING) != 0;
  const int err = renamed ? 0 : EIO;
#else
  const bool renamed = std::rename(tmp.c_str(), path.c_str()) == 0;
  const int err = errno;
#endif
  if (!renamed) {
    std::remove(tmp.c_str());
    io_error("cannot rename " + tmp + " to", path, err);
  }
}

}  // namespace tome
