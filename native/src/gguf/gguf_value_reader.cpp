#include "gguf/gguf_value_reader.h"

namespace tome {

namespace {
bool is_float(GgufValueType t) { return t == GgufValueType::FLOAT32 || t == GgufValueType::FLOAT64; }

// One little-endian integer or bool scalar of type t at p (gguf_value_type_size(t) bytes).
// uint64 is kept bit-cast in the int64.
int64_t decode_int(GgufValueType t, const uint8_t* p) {
  switch (t) {
    case GgufValueType::UINT8: case GgufValueType::BOOL: return p[0];
    case GgufValueType::INT8: return int8_t(p[0]);
    case GgufValueType::UINT16: return uint16_t(ByteCursor::le(p, 2));
    case GgufValueType::INT16: return int16_t(uint16_t(ByteCursor::le(p, 2)));
    case GgufValueType::UINT32: return uint32_t(ByteCursor::le(p, 4));
    case GgufValueType::INT32: return int32_t(uint32_t(ByteCursor::le(p, 4)));
    default: return int64_t(ByteCursor::le(p, 8));  // UINT64, INT64
  }
}

double decode_float(GgufValueType t, const uint8_t* p) {
  if (t == GgufValueType::FLOAT32) {
    uint32_t bits = uint32_t(ByteCursor::le(p, 4));
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  uint64_t bits = ByteCursor::le(p, 8);
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}
}  // namespace

void GgufValueReader::fail(const char* code, CursorField f, uint64_t at, const std::string& what) const {
  throw Error(code, c_.describe(f) + " at offset " + std::to_string(at) + ": " + what);
}

void GgufValueReader::charge(uint64_t bytes, CursorField f) {
  if (bytes > lim_.max_total_alloc - used_)
    fail("GGUF_LIMIT", f, c_.pos(),
         "parsed metadata would exceed the limit of " + std::to_string(lim_.max_total_alloc) + " bytes");
  used_ += bytes;
}

uint64_t GgufValueReader::read_count(CursorField f, uint64_t limit, uint64_t min_elem_bytes) {
  uint64_t at = c_.pos();
  uint64_t n = c_.u64(f);
  if (n > limit)
    fail("GGUF_LIMIT", f, at, std::to_string(n) + " exceeds the limit " + std::to_string(limit));
  if (min_elem_bytes && n > c_.remaining() / min_elem_bytes) {
    uint64_t needs = saturating_mul(n, min_elem_bytes);
    fail("GGUF_TRUNCATED", f, at,
         std::to_string(n) + " needs " + (needs == UINT64_MAX ? "more than 2^64" : std::to_string(needs)) +
             " bytes, " + std::to_string(c_.remaining()) + " left");
  }
  return n;
}

std::string GgufValueReader::read_string(CursorField len_field, CursorField bytes_field, uint64_t max_len) {
  uint64_t n = read_count(len_field, max_len, 0);
  std::string_view bytes = c_.view(n, bytes_field);  // checks the n bytes are there before copying
  charge(n, len_field);
  return std::string(bytes);
}

GgufValueType GgufValueReader::read_type(CursorField f) {
  uint64_t at = c_.pos();
  uint32_t t = c_.u32(f);
  if (t > uint32_t(GgufValueType::FLOAT64))
    fail("GGUF_BAD_TYPE", f, at, std::to_string(t) + " is not a GGUF value type");
  return GgufValueType(t);
}

void GgufValueReader::read_value(GgufValueType t, GgufValue& v) {
  v.type = t;
  if (t == GgufValueType::STRING) {
    v.str = read_string(CursorField("value", CursorField::kNoIndex, "length"), "value", lim_.max_string);
  } else if (t == GgufValueType::ARRAY) {
    read_array(v);
  } else {
    uint64_t at = c_.pos();
    const uint8_t* p = c_.take(gguf_value_type_size(t), "value");
    if (is_float(t)) {
      v.f = decode_float(t, p);
    } else {
      v.i = decode_int(t, p);
      if (t == GgufValueType::BOOL && v.i > 1)
        fail("GGUF_BAD_VALUE", "value", at, "bool must be 0 or 1, found " + std::to_string(v.i));
    }
  }
}

// Array layout: u32 element type, u64 count, count elements.
void GgufValueReader::read_array(GgufValue& v) {
  uint64_t type_at = c_.pos();
  GgufValueType et = read_type("array element type");
  if (et == GgufValueType::ARRAY)
    fail("GGUF_NESTED_ARRAY", "array element type", type_at, "arrays of arrays are not supported");
  v.elem_type = et;

  if (et == GgufValueType::STRING) {
    uint64_t n = read_count("array length", lim_.max_array, 8);  // each string has a u64 length
    charge(saturating_mul(n, sizeof(std::string)), "array length");
    v.strs.reserve(size_t(n));
    for (uint64_t i = 0; i < n; ++i)
      v.strs.push_back(read_string(CursorField("element", i, "length"), CursorField("element", i),
                                   lim_.max_string));
    return;
  }

  const uint64_t size = gguf_value_type_size(et);
  uint64_t n = read_count("array length", lim_.max_array, size);
  charge(saturating_mul(n, 8), "array length");  // held as int64 or double
  uint64_t data_at = c_.pos();
  const uint8_t* p = c_.take(n * size, "array data");  // n * size <= remaining, checked above
  if (is_float(et)) {
    v.floats.resize(size_t(n));
    for (uint64_t i = 0; i < n; ++i) v.floats[i] = decode_float(et, p + i * size);
    return;
  }
  v.ints.resize(size_t(n));
  for (uint64_t i = 0; i < n; ++i) {
    v.ints[i] = decode_int(et, p + i * size);
    if (et == GgufValueType::BOOL && v.ints[i] > 1)
      fail("GGUF_BAD_VALUE", CursorField("element", i), data_at + i,
           "bool must be 0 or 1, found " + std::to_string(v.ints[i]));
  }
}

}  // namespace tome
