// Public row operations of quant.h: type checks and dispatch to the kernels.
#include "cpu/quant.h"

#include <string>

#include "common/error.h"
#include "cpu/kernels.h"
#include "cpu/quant_blocks.h"
#include "cpu/quantize_impl.h"

namespace tome {

namespace {

[[noreturn]] void unsupported(const char* what, GgmlType t) {
  throw Error("UNSUPPORTED_TYPE", std::string(what) + " is not supported for type " + ggml_type_name(uint32_t(t)));
}

void check_whole_blocks(GgmlType t, int64_t n) {
  const int64_t bs = type_block_size(t);
  if (n < 0 || n % bs != 0)
    throw Error("BAD_ARGUMENT", "row of " + std::to_string(n) + " elements is not whole blocks of " +
                                    std::to_string(bs) + " for " + ggml_type_name(uint32_t(t)));
}

}  // namespace

int64_t type_block_size(GgmlType t) {
  if (t == GgmlType::Q8_K) return kQKK;
  const GgmlTypeTraits* tr = ggml_type_traits(t);
  return tr ? tr->block_size : 1;
}

size_t type_row_bytes(GgmlType t, int64_t n) {
  if (t == GgmlType::Q8_K) return size_t(n / kQKK) * sizeof(BlockQ8_K);
  const GgmlTypeTraits* tr = ggml_type_traits(t);
  if (!tr) unsupported("row size", t);
  return ggml_row_bytes(*tr, uint64_t(n));
}

bool can_quantize(GgmlType type) {
  switch (type) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16: case GgmlType::Q8_0:
    case GgmlType::Q4_0: case GgmlType::Q5_0: case GgmlType::Q4_1: case GgmlType::Q5_1: case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K:
    case GgmlType::IQ4_NL: case GgmlType::IQ4_XS: case GgmlType::MXFP4: case GgmlType::Q8_K: case GgmlType::Q8_1:
      return true;
    default:
      return false;
  }
}

void quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
  if (!can_quantize(type)) unsupported("quantize_row", type);
  check_whole_blocks(type, n);
  switch (type) {
    case GgmlType::Q8_0: return quantizers::q8_0_ref(src, dst, n);
    case GgmlType::Q4_0: return quantizers::q4_0_ref(src, dst, n);
    case GgmlType::Q5_0: return quantizers::q5_0_ref(src, dst, n);
    case GgmlType::Q4_1: return quantizers::q4_1_ref(src, dst, n);
    case GgmlType::Q5_1: return quantizers::q5_1_ref(src, dst, n);
    case GgmlType::Q2_K: return quantizers::q2_K_ref(src, dst, n);
    case GgmlType::Q3_K: return quantizers::q3_K_ref(src, dst, n);
    case GgmlType::Q4_K: return quantizers::q4_K_ref(src, dst, n);
    case GgmlType::Q5_K: return quantizers::q5_K_ref(src, dst, n);
    case GgmlType::Q6_K: return quantizers::q6_K_ref(src, dst, n);
    case GgmlType::IQ4_NL: return quantizers::iq4_nl_ref(src, dst, n);
    case GgmlType::IQ4_XS: return quantizers::iq4_xs_ref(src, dst, n);
    case GgmlType::MXFP4: return quantizers::mxfp4_ref(src, dst, n);
    default:  // F32, F16, BF16, Q8_K, Q8_1: the same bytes as the activation conversion
      return kernels::scalar_convert(type)(src, dst, n);
  }
}

GgmlType vec_dot_type(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32: return GgmlType::F32;
    case GgmlType::F16: return GgmlType::F16;
    case GgmlType::BF16: return GgmlType::BF16;
    case GgmlType::Q8_0: case GgmlType::Q4_0: case GgmlType::Q5_0: case GgmlType::IQ4_NL:
    case GgmlType::MXFP4:
      return GgmlType::Q8_0;
    case GgmlType::Q4_1: case GgmlType::Q5_1: return GgmlType::Q8_1;
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K:
    case GgmlType::IQ4_XS:
      return GgmlType::Q8_K;
    default: unsupported("vec_dot", weight_type);
  }
}

void convert_activation_row(GgmlType act_type, const float* src, void* dst, int64_t n) {
  kernels::ConvertFn f = kernels::select_convert(act_type);
  if (!f) unsupported("activation conversion", act_type);
  check_whole_blocks(act_type, n);
  f(src, dst, n);
}

float vec_dot(GgmlType wtype, const void* w_row, const void* act_row, int64_t n) {
  kernels::DotFn f = kernels::select_dot(wtype);
  if (!f) unsupported("vec_dot", wtype);
  check_whole_blocks(wtype, n);
  float out;
  f(kernels::DotTile{static_cast<const uint8_t*>(w_row), 0, 1, static_cast<const uint8_t*>(act_row), 0, 1, n,
                     &out, 0});
  return out;
}

float vec_dot_scalar(GgmlType wtype, const void* w_row, const void* act_row, int64_t n) {
  kernels::DotFn f = kernels::scalar_dot(wtype);
  if (!f) unsupported("vec_dot", wtype);
  check_whole_blocks(wtype, n);
  float out;
  f(kernels::DotTile{static_cast<const uint8_t*>(w_row), 0, 1, static_cast<const uint8_t*>(act_row), 0, 1, n,
                     &out, 0});
  return out;
}

}  // namespace tome
