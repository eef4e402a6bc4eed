// Internal: the scalar kernels (reference flavour), one per weight type; each has
// the kernels::DotFn signature. Tables in kernels.cpp.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu/kernels.h"

namespace tome {
namespace kernels {

#define TOME_SCALAR_DOT(name) void name(const DotTile& t)
TOME_SCALAR_DOT(dot_f32_scalar);
TOME_SCALAR_DOT(dot_f16_scalar);
TOME_SCALAR_DOT(dot_bf16_scalar);
TOME_SCALAR_DOT(dot_q8_0_scalar);
TOME_SCALAR_DOT(dot_q4_0_scalar);
TOME_SCALAR_DOT(dot_q5_0_scalar);
TOME_SCALAR_DOT(dot_q4_1_scalar);
TOME_SCALAR_DOT(dot_q5_1_scalar);
TOME_SCALAR_DOT(dot_iq4_nl_scalar);
TOME_SCALAR_DOT(dot_mxfp4_scalar);
TOME_SCALAR_DOT(dot_q4_K_scalar);
TOME_SCALAR_DOT(dot_q5_K_scalar);
TOME_SCALAR_DOT(dot_q6_K_scalar);
TOME_SCALAR_DOT(dot_q3_K_scalar);
TOME_SCALAR_DOT(dot_q2_K_scalar);
TOME_SCALAR_DOT(dot_iq4_xs_scalar);
// llama.cpp's repacked-weight orders (kernels.h)
TOME_SCALAR_DOT(dot_q4_0_repack_scalar);
TOME_SCALAR_DOT(dot_iq4_nl_repack_scalar);
TOME_SCALAR_DOT(dot_mxfp4_repack_scalar);
TOME_SCALAR_DOT(dot_q4_K_gemm_scalar);
TOME_SCALAR_DOT(dot_q2_K_repack_scalar);
TOME_SCALAR_DOT(dot_q2_K_gemm_scalar);
TOME_SCALAR_DOT(dot_iq4_xs_panel_scalar);
#undef TOME_SCALAR_DOT

}  // namespace kernels
}  // namespace tome
