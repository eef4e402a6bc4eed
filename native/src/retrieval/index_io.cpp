#include "retrieval/index_io.h"

#include <cmath>

#include "common/error.h"
#include "retrieval/flat_index.h"
#include "retrieval/ivf_index.h"
#include "retrieval/roar_graph.h"

namespace tome {

namespace {
constexpr char kMagic[8] = {'T', 'O', 'M', 'E', 'K', 'I', 'D', 'X'};
}

void ByteReader::fail(const std::string& why) { throw Error("RETRIEVAL_CORRUPT", "index image: " + why); }

uint64_t index_checksum(const uint8_t* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 1099511628211ull;
  }
  return h;
}

void write_keys(ByteWriter& w, const KeyMatrix& keys, bool with_keys) {
  if (!with_keys) return write_detached_keys(w, keys.dim(), keys.rows());
  w.u32(uint32_t(keys.dim()) | kKeysF16);
  w.u64(uint64_t(keys.rows()));
  w.array(keys.data(), size_t(keys.rows()) * size_t(keys.dim()));
}

void write_detached_keys(ByteWriter& w, int d, int64_t n) {
  w.u32(uint32_t(d) | kKeysDetached);
  w.u64(uint64_t(n));
}

KeyMatrix read_keys(ByteReader& r, KeyMatrix* external) {
  const uint32_t word = r.u32();
  const uint32_t d = word & ~(kKeysDetached | kKeysF16);
  if (d == 0 || d > uint32_t(kMaxIndexDim)) ByteReader::fail("bad key dimension");
  const uint64_t n = r.u64();
  if (n > uint64_t(INT32_MAX)) ByteReader::fail("too many keys");
  if (word & kKeysDetached) {
    if (!external) ByteReader::fail("the keys are stored outside the image and were not given");
    if (uint32_t(external->dim()) != d || uint64_t(external->rows()) != n)
      ByteReader::fail("the keys given do not match the image (" + std::to_string(n) + " x " + std::to_string(d) + ")");
    return std::move(*external);
  }
  KeyMatrix keys(static_cast<int>(d));
  if (word & kKeysF16) {
    r.count(n, size_t(d) * sizeof(uint16_t), "keys");
    r.array(keys.storage(), n * d, "keys");
    for (uint16_t v : keys.storage())
      if ((v & 0x7c00) == 0x7c00) ByteReader::fail("non-finite key value");
    return keys;
  }
  // images written before keys were stored as f16: f32 keys, rounded on load
  r.count(n, size_t(d) * sizeof(float), "keys");
  std::vector<float> f32;
  r.array(f32, n * d, "keys");
  for (float v : f32)
    if (!std::isfinite(v)) ByteReader::fail("non-finite key value");
  keys.append(f32.data(), int64_t(n), d);
  return keys;
}

std::vector<uint8_t> finish_index_image(IndexKind kind, ByteWriter& payload) {
  const std::vector<uint8_t>& body = payload.bytes();
  ByteWriter head;
  head.array(kMagic, 8);
  head.u32(kIndexFormatVersion);
  head.u32(uint32_t(kind));
  head.u64(uint64_t(body.size()));
  head.u64(index_checksum(body.data(), body.size()));
  std::vector<uint8_t> image = std::move(head.bytes());
  image.insert(image.end(), body.begin(), body.end());
  return image;
}

IndexKind open_index_image(const uint8_t* data, size_t size, ByteReader* payload) {
  if (!data || size < kIndexHeaderBytes) ByteReader::fail("shorter than its header");
  if (std::memcmp(data, kMagic, 8) != 0) ByteReader::fail("bad magic");
  ByteReader h(data + 8, kIndexHeaderBytes - 8);
  const uint32_t version = h.u32();
  if (version != kIndexFormatVersion) ByteReader::fail("unsupported version " + std::to_string(version));
  const uint32_t kind = h.u32();
  if (kind < 1 || kind > 3) ByteReader::fail("unknown index kind");
  const uint64_t body = h.u64();
  const uint64_t sum = h.u64();
  if (body != size - kIndexHeaderBytes) ByteReader::fail("payload size does not match the image size");
  if (index_checksum(data + kIndexHeaderBytes, size_t(body)) != sum) ByteReader::fail("checksum mismatch");
  *payload = ByteReader(data + kIndexHeaderBytes, size_t(body));
  return IndexKind(kind);
}

std::unique_ptr<KeyIndex> deserialize_index(const uint8_t* data, size_t size, KeyMatrix* external_keys) {
  ByteReader r(nullptr, 0);
  const IndexKind kind = open_index_image(data, size, &r);
  std::unique_ptr<KeyIndex> index;
  switch (kind) {
    case IndexKind::kFlat: index = FlatIndex::deserialize_payload(r, external_keys); break;
    case IndexKind::kIvf: index = IvfIndex::deserialize_payload(r, external_keys); break;
    case IndexKind::kGraph: index = RoarGraphIndex::deserialize_payload(r, external_keys); break;
  }
  if (r.remaining() != 0) ByteReader::fail("trailing bytes after the payload");
  return index;
}

}  // namespace tome
