#include "model/index_spill.h"

namespace tome {

std::shared_ptr<IndexSpill> IndexSpill::create(const std::string& dir, size_t record_bytes, size_t capacity) {
  auto spill = KvSpill::create(dir, record_bytes, 1, capacity);
  if (!spill) return nullptr;
  return std::shared_ptr<IndexSpill>(new IndexSpill(std::move(spill), capacity));
}

}  // namespace tome
