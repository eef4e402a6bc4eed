// The Q8_0 / Q4_0 / Q5_0 / Q4_1 / Q5_1 / IQ4_NL / MXFP4 kernels of dot_q32_impl.h built with AVX512-VNNI (+VL):
// each block's eight exact int32 lane sums come from one vpdpbusd instead of
// maddubs + madd (avx2_util.h), so results are bit for bit the AVX2 ones (llama.cpp's
// own AVX2 dot uses the same instruction when its build has VNNI). Tiles of 4
// tokens use biased weight levels, one vpdpbusd per (row, token) pair and block
// (dot_q32_gemm_impl.h): the same exact integers again. Called only when
// cpu_features().avx512vnni.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/dot_q32_impl.h"

namespace tome {
namespace kernels {

void dot_q8_0_vnni(const DotTile& t) { dot_tile<UnpackQ8_0>(t); }
void dot_q4_0_vnni(const DotTile& t) { dot_tile<UnpackQ4_0>(t); }
void dot_iq4_nl_vnni(const DotTile& t) { dot_tile<UnpackIQ4_NL>(t); }
void dot_mxfp4_vnni(const DotTile& t) { dot_tile<UnpackMXFP4>(t); }
void dot_q5_0_vnni(const DotTile& t) { dot_tile<UnpackQ5_0>(t); }
void dot_q4_1_vnni(const DotTile& t) { dot_tile<UnpackQ4_1>(t); }
void dot_q5_1_vnni(const DotTile& t) { dot_tile<UnpackQ5_1>(t); }
void dot_q4_0_repack_vnni(const DotTile& t) { dot_tile_repack<UnpackQ4_0>(t); }
void dot_iq4_nl_repack_vnni(const DotTile& t) { dot_tile_repack<UnpackIQ4_NL>(t); }
void dot_mxfp4_repack_vnni(const DotTile& t) { dot_tile_repack<UnpackMXFP4>(t); }

}  // namespace kernels
}  // namespace tome
#endif
