// Kernel tables: type -> scalar kernel, and the run-time choice of flavour.
#include "cpu/kernels.h"

#include <cstring>

#include "cpu/avx2_entry.h"
#include "cpu/cpu_features.h"
#include "cpu/dot_scalar.h"
#include "cpu/quantize_impl.h"

namespace tome {
namespace kernels {

namespace {
void copy_f32(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, size_t(n) * sizeof(float)); }
// The 32-element 4-bit types whose repacked kernels take 8 rows a decode tile.
bool q32_4bit(GgmlType wtype) {
  return wtype == GgmlType::Q4_0 || wtype == GgmlType::IQ4_NL || wtype == GgmlType::MXFP4;
}
}  // namespace

int f32_dot_lanes() { return cpu_features().avx512 ? 16 : 8; }

DotFn scalar_dot(GgmlType wtype) {
  switch (wtype) {
    case GgmlType::F32: return dot_f32_scalar;
    case GgmlType::F16: return dot_f16_scalar;
    case GgmlType::BF16: return dot_bf16_scalar;
    case GgmlType::Q8_0: return dot_q8_0_scalar;
    case GgmlType::Q4_0: return dot_q4_0_scalar;
    case GgmlType::Q5_0: return dot_q5_0_scalar;
    case GgmlType::Q4_1: return dot_q4_1_scalar;
    case GgmlType::Q5_1: return dot_q5_1_scalar;
    case GgmlType::IQ4_NL: return dot_iq4_nl_scalar;
    case GgmlType::MXFP4: return dot_mxfp4_scalar;
    case GgmlType::Q4_K: return dot_q4_K_scalar;
    case GgmlType::Q5_K: return dot_q5_K_scalar;
    case GgmlType::Q6_K: return dot_q6_K_scalar;
    case GgmlType::Q3_K: return dot_q3_K_scalar;
    case GgmlType::Q2_K: return dot_q2_K_scalar;
    case GgmlType::IQ4_XS: return dot_iq4_xs_scalar;
    default: return nullptr;
  }
}

ConvertFn scalar_convert(GgmlType act_type) {
  switch (act_type) {
    case GgmlType::F32: return copy_f32;
    case GgmlType::F16: return quantizers::f16_row;
    case GgmlType::BF16: return quantizers::bf16_row;
    case GgmlType::Q8_0: return quantizers::q8_0_act;
    case GgmlType::Q8_1: return quantizers::q8_1_act;
    case GgmlType::Q8_K: return quantizers::q8_K_act;
    default: return nullptr;
  }
}

DotFn avx2_dot(GgmlType wtype) {
#ifdef TOME_HAVE_AVX2_KERNELS
  switch (wtype) {
    case GgmlType::F32: return dot_f32_avx2;
    case GgmlType::F16: return dot_f16_avx2;
    case GgmlType::BF16: return dot_bf16_avx2;
    case GgmlType::Q8_0: return dot_q8_0_avx2;
    case GgmlType::Q4_0: return dot_q4_0_avx2;
    case GgmlType::Q5_0: return dot_q5_0_avx2;
    case GgmlType::Q4_1: return dot_q4_1_avx2;
    case GgmlType::Q5_1: return dot_q5_1_avx2;
    case GgmlType::IQ4_NL: return dot_iq4_nl_avx2;
    case GgmlType::MXFP4: return dot_mxfp4_avx2;
    case GgmlType::Q4_K: return dot_q4_K_avx2;
    case GgmlType::Q5_K: return dot_q5_K_avx2;
    case GgmlType::Q6_K: return dot_q6_K_avx2;
    case GgmlType::Q3_K: return dot_q3_K_avx2;
    case GgmlType::Q2_K: return dot_q2_K_avx2;
    case GgmlType::IQ4_XS: return dot_iq4_xs_avx2;
    default: return nullptr;
  }
#else
  (void)wtype;
  return nullptr;
#endif
}

ConvertFn avx2_convert(GgmlType act_type) {
#ifdef TOME_HAVE_AVX2_KERNELS
  switch (act_type) {
    case GgmlType::F32: return copy_f32;  // nothing to vectorize beyond memcpy
    case GgmlType::F16: return convert_f16_avx2;
    case GgmlType::BF16: return convert_bf16_avx2;
    case GgmlType::Q8_0: return convert_q8_0_avx2;
    case GgmlType::Q8_1: return convert_q8_1_avx2;
    case GgmlType::Q8_K: return convert_q8_K_avx2;
    default: return nullptr;
  }
#else
  (void)act_type;
  return nullptr;
#endif
}

DotFn scalar_dot_repack(GgmlType wtype, bool gemm) {
  switch (wtype) {
    case GgmlType::Q4_0: return dot_q4_0_repack_scalar;
    case GgmlType::IQ4_NL: return dot_iq4_nl_repack_scalar;
    case GgmlType::MXFP4: return dot_mxfp4_repack_scalar;
    case GgmlType::Q4_K: return gemm ? dot_q4_K_gemm_scalar : dot_q4_K_scalar;
    case GgmlType::Q2_K: return gemm ? dot_q2_K_gemm_scalar : dot_q2_K_repack_scalar;
    default: return nullptr;
  }
}

DotFn avx2_dot_repack(GgmlType wtype, bool gemm) {
#ifdef TOME_HAVE_AVX2_KERNELS
  switch (wtype) {
    case GgmlType::Q4_0: return dot_q4_0_repack_avx2;
    case GgmlType::IQ4_NL: return dot_iq4_nl_repack_avx2;
    case GgmlType::MXFP4: return dot_mxfp4_repack_avx2;
    case GgmlType::Q4_K: return gemm ? dot_q4_K_gemm_avx2 : dot_q4_K_avx2;
    case GgmlType::Q2_K: return gemm ? dot_q2_K_gemm_avx2 : dot_q2_K_repack_avx2;
    default: return nullptr;
  }
#else
  (void)wtype;
  (void)gemm;
  return nullptr;
#endif
}

DotFn select_dot_repack(GgmlType wtype, bool gemm) {
  if (simd_enabled()) {
    if (DotFn f = vnni_dot_repack(wtype, gemm)) return f;
    if (DotFn f = avxvnni_dot_repack(wtype, gemm)) return f;
    if (DotFn f = avx2_dot_repack(wtype, gemm)) return f;
  }
  return scalar_dot_repack(wtype, gemm);
}

bool llama_iq_panel(GgmlType wtype, int64_t rows, int64_t n_tokens) {
  if (wtype != GgmlType::IQ4_XS || rows % 8 != 0 || n_tokens < 8) return false;
  const CpuFeatures& f = cpu_features();
  return f.avx2 && f.fma && f.f16c;
}

DotFn select_dot_panel(GgmlType wtype) {
  if (wtype != GgmlType::IQ4_XS) return nullptr;
#ifdef TOME_HAVE_AVX2_KERNELS
  if (simd_enabled()) return cpu_features().avx512vnni ? dot_iq4_xs_panel_vnni : dot_iq4_xs_panel_avx2;
#endif
  return dot_iq4_xs_panel_scalar;
}

int tile_rows(GgmlType wtype, bool repack) {
  return repack && q32_4bit(wtype) ? kMaxDecodeRows : kMaxWeightRows;
}

bool interleaves_rows(GgmlType wtype, int64_t rows) { return q32_4bit(wtype) && llama_repacks(wtype, rows); }

bool llama_repacks(GgmlType wtype, int64_t rows) {
  if (rows % 8 != 0) return false;
  if (wtype == GgmlType::Q2_K) return cpu_features().avx512;  // q2_K_8x8: AVX-512 builds only
  if (wtype != GgmlType::Q4_0 && wtype != GgmlType::IQ4_NL && wtype != GgmlType::MXFP4 && wtype != GgmlType::Q4_K)
    return false;
  const CpuFeatures& f = cpu_features();
  return f.avx2 && f.fma && f.f16c;
}

DotFn vnni_dot(GgmlType wtype) {
#ifdef TOME_HAVE_AVX2_KERNELS
  if (!cpu_features().avx512vnni) return nullptr;
  switch (wtype) {
    case GgmlType::Q8_0: return dot_q8_0_vnni;
    case GgmlType::Q4_0: return dot_q4_0_vnni;
    case GgmlType::Q5_0: return dot_q5_0_vnni;
    case GgmlType::Q4_1: return dot_q4_1_vnni;
    case GgmlType::Q5_1: return dot_q5_1_vnni;
    case GgmlType::IQ4_NL: return dot_iq4_nl_vnni;
    case GgmlType::MXFP4: return dot_mxfp4_vnni;
    case GgmlType::Q4_K: return dot_q4_K_vnni;
    case GgmlType::Q3_K: return dot_q3_K_vnni;
    case GgmlType::Q5_K: return dot_q5_K_vnni;
    case GgmlType::Q6_K: return dot_q6_K_vnni;
    default: return nullptr;
  }
#else
  (void)wtype;
  return nullptr;
#endif
}

DotFn vnni_dot_repack(GgmlType wtype, bool gemm) {
#ifdef TOME_HAVE_AVX2_KERNELS
  if (!cpu_features().avx512vnni) return nullptr;
  switch (wtype) {
    case GgmlType::Q4_0: return dot_q4_0_repack_vnni;
    case GgmlType::IQ4_NL: return dot_iq4_nl_repack_vnni;
    case GgmlType::MXFP4: return dot_mxfp4_repack_vnni;
    case GgmlType::Q4_K: return gemm ? dot_q4_K_gemm_vnni : dot_q4_K_vnni;
    case GgmlType::Q2_K: return gemm ? dot_q2_K_gemm_vnni : nullptr;  // gemv: the AVX2 kernel
    default: return nullptr;
  }
#else
  (void)wtype;
  (void)gemm;
  return nullptr;
#endif
}

DotFn avxvnni_dot(GgmlType wtype) {
#ifdef TOME_HAVE_AVX2_KERNELS
  if (!cpu_features().avxvnni) return nullptr;
  switch (wtype) {
    case GgmlType::Q8_0: return dot_q8_0_avxvnni;
    case GgmlType::Q4_0: return dot_q4_0_avxvnni;
    case GgmlType::Q5_0: return dot_q5_0_avxvnni;
    case GgmlType::Q4_1: return dot_q4_1_avxvnni;
    case GgmlType::Q5_1: return dot_q5_1_avxvnni;
    case GgmlType::IQ4_NL: return dot_iq4_nl_avxvnni;
    case GgmlType::MXFP4: return dot_mxfp4_avxvnni;
    case GgmlType::Q4_K: return dot_q4_K_avxvnni;
    default: return nullptr;
  }
#else
  (void)wtype;
  return nullptr;
#endif
}

DotFn avxvnni_dot_repack(GgmlType wtype, bool gemm) {
#ifdef TOME_HAVE_AVX2_KERNELS
  if (!cpu_features().avxvnni) return nullptr;
  switch (wtype) {
    case GgmlType::Q4_0: return dot_q4_0_repack_avxvnni;
    case GgmlType::IQ4_NL: return dot_iq4_nl_repack_avxvnni;
    case GgmlType::MXFP4: return dot_mxfp4_repack_avxvnni;
    case GgmlType::Q4_K: return gemm ? dot_q4_K_gemm_avxvnni : dot_q4_K_avxvnni;
    default: return nullptr;
  }
#else
  (void)wtype;
  (void)gemm;
  return nullptr;
#endif
}

DotFn select_dot(GgmlType wtype) {
  if (simd_enabled()) {
    if (DotFn f = vnni_dot(wtype)) return f;
    if (DotFn f = avxvnni_dot(wtype)) return f;
    if (DotFn f = avx2_dot(wtype)) return f;
  }
  return scalar_dot(wtype);
}

ConvertFn select_convert(GgmlType act_type) {
  if (simd_enabled())
    if (ConvertFn f = avx2_convert(act_type)) return f;
  return scalar_convert(act_type);
}

}  // namespace kernels
}  // namespace tome
