// Internal: entry points of the AVX2+FMA+F16C kernels (*_avx2.cpp, x86-64 only).
// Plain declarations, safe to include anywhere; calling them needs the CPU check
// (kernels::avx2_dot / avx2_convert return them only then).
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu/kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#define TOME_HAVE_AVX2_KERNELS 1

namespace tome {
namespace kernels {

#define TOME_AVX2_DOT(name) void name(const DotTile& t)
TOME_AVX2_DOT(dot_f32_avx2);
TOME_AVX2_DOT(dot_f16_avx2);
TOME_AVX2_DOT(dot_bf16_avx2);
TOME_AVX2_DOT(dot_q8_0_avx2);
TOME_AVX2_DOT(dot_q4_0_avx2);
TOME_AVX2_DOT(dot_q5_0_avx2);
TOME_AVX2_DOT(dot_q4_1_avx2);
TOME_AVX2_DOT(dot_q5_1_avx2);
TOME_AVX2_DOT(dot_iq4_nl_avx2);
TOME_AVX2_DOT(dot_mxfp4_avx2);
TOME_AVX2_DOT(dot_q4_K_avx2);
TOME_AVX2_DOT(dot_q5_K_avx2);
TOME_AVX2_DOT(dot_q6_K_avx2);
TOME_AVX2_DOT(dot_q3_K_avx2);
TOME_AVX2_DOT(dot_q2_K_avx2);
TOME_AVX2_DOT(dot_q2_K_repack_avx2);
TOME_AVX2_DOT(dot_q2_K_gemm_avx2);
TOME_AVX2_DOT(dot_iq4_xs_avx2);
TOME_AVX2_DOT(dot_iq4_xs_panel_avx2);
TOME_AVX2_DOT(dot_q4_0_repack_avx2);
TOME_AVX2_DOT(dot_iq4_nl_repack_avx2);
TOME_AVX2_DOT(dot_mxfp4_repack_avx2);
TOME_AVX2_DOT(dot_q4_K_gemm_avx2);
// AVX512-VNNI builds of the Q8_0 / Q4_0 / Q5_0 / Q4_1 / Q5_1 / IQ4_NL / MXFP4 kernels (dot_q32_vnni.cpp), of
// the Q4_K ones (dot_q4k_vnni.cpp) and of the Q3_K / Q5_K / Q6_K vec_dot lanes (dot_kquant_vnni.cpp)
TOME_AVX2_DOT(dot_q8_0_vnni);
TOME_AVX2_DOT(dot_q4_0_vnni);
TOME_AVX2_DOT(dot_q5_0_vnni);
TOME_AVX2_DOT(dot_q4_1_vnni);
TOME_AVX2_DOT(dot_q5_1_vnni);
TOME_AVX2_DOT(dot_iq4_nl_vnni);
TOME_AVX2_DOT(dot_mxfp4_vnni);
TOME_AVX2_DOT(dot_q4_0_repack_vnni);
TOME_AVX2_DOT(dot_iq4_nl_repack_vnni);
TOME_AVX2_DOT(dot_mxfp4_repack_vnni);
TOME_AVX2_DOT(dot_q4_K_vnni);
TOME_AVX2_DOT(dot_q4_K_gemm_vnni);
TOME_AVX2_DOT(dot_iq4_xs_panel_vnni);  // dot_iq4xs_vnni.cpp
TOME_AVX2_DOT(dot_q2_K_gemm_vnni);     // dot_q2k_vnni.cpp
TOME_AVX2_DOT(dot_q3_K_vnni);
TOME_AVX2_DOT(dot_q5_K_vnni);
TOME_AVX2_DOT(dot_q6_K_vnni);
// AVX-VNNI builds (no AVX-512) of the Q8_0 / Q4_0 / Q5_0 / Q4_1 / Q5_1 / IQ4_NL / MXFP4 kernels
// (dot_q32_avxvnni.cpp) and of the Q4_K ones (dot_q4k_avxvnni.cpp)
TOME_AVX2_DOT(dot_q8_0_avxvnni);
TOME_AVX2_DOT(dot_q4_0_avxvnni);
TOME_AVX2_DOT(dot_q5_0_avxvnni);
TOME_AVX2_DOT(dot_q4_1_avxvnni);
TOME_AVX2_DOT(dot_q5_1_avxvnni);
TOME_AVX2_DOT(dot_iq4_nl_avxvnni);
TOME_AVX2_DOT(dot_mxfp4_avxvnni);
TOME_AVX2_DOT(dot_q4_0_repack_avxvnni);
TOME_AVX2_DOT(dot_iq4_nl_repack_avxvnni);
TOME_AVX2_DOT(dot_mxfp4_repack_avxvnni);
TOME_AVX2_DOT(dot_q4_K_avxvnni);
TOME_AVX2_DOT(dot_q4_K_gemm_avxvnni);
#undef TOME_AVX2_DOT

void convert_f16_avx2(const float* src, void* dst, int64_t n);
void convert_bf16_avx2(const float* src, void* dst, int64_t n);
void convert_q8_0_avx2(const float* src, void* dst, int64_t n);
void convert_q8_1_avx2(const float* src, void* dst, int64_t n);
void convert_q8_K_avx2(const float* src, void* dst, int64_t n);

}  // namespace kernels
}  // namespace tome
#endif
