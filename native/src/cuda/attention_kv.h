// How the attention kernels see keys and values in device memory: per KV head a
// run of rows, row j of head g at base + g * head_stride + j * row_stride
// (strides in elements, multiples of 8, base 16-byte aligned). tome's KV cache
// layout k[layer][kv_head][pos][head_dim] is head_stride = n_ctx * head_dim,
// row_stride = head_dim.
#pragma once
#include <cstdint>

namespace tome::cuda {

enum class KvType { F16, BF16 };

struct AttentionKv {
  const void* k = nullptr;
  const void* v = nullptr;
  KvType type = KvType::F16;
  int64_t head_stride = 0;
  int64_t row_stride = 0;
};

}  // namespace tome::cuda
