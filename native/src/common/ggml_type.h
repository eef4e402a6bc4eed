// Tensor element types as numbered by ggml/GGUF, with their block geometry.
// A quantized row of n elements occupies (n / block_size) * type_size bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace tome {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21,
  IQ2_S = 22, IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28,
  IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct GgmlTypeTraits {
  const char* name;     // "Q4_K"; nullptr for numbers ggml never assigned
  uint32_t block_size;  // elements per block (1 for plain types)
  uint32_t type_size;   // bytes per block
  bool supported;       // tome can compute with it
};

// Traits for a raw type number; returns nullptr for unknown numbers.
const GgmlTypeTraits* ggml_type_traits(uint32_t type);
inline const GgmlTypeTraits* ggml_type_traits(GgmlType t) { return ggml_type_traits(uint32_t(t)); }

// The names of the types tome computes with, for messages: "F32, F16, Q4_0, ...".
std::string supported_type_names();

// Name for messages: "Q4_K", or "type#77" for unknown numbers.
const char* ggml_type_name(uint32_t type);

// Bytes of a row of n elements; n must be a multiple of the block size (caller checks).
inline size_t ggml_row_bytes(const GgmlTypeTraits& t, uint64_t n) {
  return size_t(n / t.block_size) * t.type_size;
}

}  // namespace tome
