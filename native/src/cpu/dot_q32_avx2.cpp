// AVX2 dot products of Q8_0, Q4_0, Q5_0, IQ4_NL, MXFP4 weights with Q8_0 activations (and
// Q4_1, Q5_1 with Q8_1 ones, plus their m*s terms), lane for
// lane the canonical order of kernels.h (and of ggml's AVX2 kernels): per block,
// lane l holds the exact integer sum over elements 4l..4l+3, fused into the lane
// accumulator with dw*da; hsum8 at the end (the per-block arithmetic of ggml's
// AVX2 ggml_vec_dot_q8_0_q8_0 / q4_0_q8_0); Q4_0, IQ4_NL and MXFP4 also in llama.cpp's
// repacked order. Tiles of 4 tokens: dot_q32_gemm_impl.h.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/dot_q32_impl.h"


namespace tome {
namespace kernels {

void dot_q8_0_avx2(const DotTile& t) { dot_tile<UnpackQ8_0>(t); }
void dot_q4_0_avx2(const DotTile& t) { dot_tile<UnpackQ4_0>(t); }
void dot_iq4_nl_avx2(const DotTile& t) { dot_tile<UnpackIQ4_NL>(t); }
void dot_mxfp4_avx2(const DotTile& t) { dot_tile<UnpackMXFP4>(t); }
void dot_q5_0_avx2(const DotTile& t) { dot_tile<UnpackQ5_0>(t); }
void dot_q4_1_avx2(const DotTile& t) { dot_tile<UnpackQ4_1>(t); }
void dot_q5_1_avx2(const DotTile& t) { dot_tile<UnpackQ5_1>(t); }
void dot_q4_0_repack_avx2(const DotTile& t) { dot_tile_repack<UnpackQ4_0>(t); }
void dot_iq4_nl_repack_avx2(const DotTile& t) { dot_tile_repack<UnpackIQ4_NL>(t); }
void dot_mxfp4_repack_avx2(const DotTile& t) { dot_tile_repack<UnpackMXFP4>(t); }

}  // namespace kernels
}  // namespace tome
#endif
