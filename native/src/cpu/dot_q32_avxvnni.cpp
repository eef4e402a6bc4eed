// The Q8_0 / Q4_0 / Q5_0 / Q4_1 / Q5_1 / IQ4_NL / MXFP4 kernels of dot_q32_impl.h built
// with AVX-VNNI (the VEX vpdpbusd of Intel since Alder Lake and AMD since Zen 5, CPUs
// without AVX-512 among them): as dot_q32_vnni.cpp, one vpdpbusd per block where the
// AVX2 build takes maddubs + madd, and biased weight levels in the 4-token tiles; 16
// vector registers, so those tiles take the AVX2 build's row counts (avx2_util.h's
// TOME_YMM_REGS). The same exact integers, so the AVX2 kernels' bits (llama.cpp's
// alderlake build, which it loads on such a CPU, sums as its haswell one). Called
// only when cpu_features().avxvnni.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/dot_q32_impl.h"

namespace tome {
namespace kernels {

void dot_q8_0_avxvnni(const DotTile& t) { dot_tile<UnpackQ8_0>(t); }
void dot_q4_0_avxvnni(const DotTile& t) { dot_tile<UnpackQ4_0>(t); }
void dot_iq4_nl_avxvnni(const DotTile& t) { dot_tile<UnpackIQ4_NL>(t); }
void dot_mxfp4_avxvnni(const DotTile& t) { dot_tile<UnpackMXFP4>(t); }
void dot_q5_0_avxvnni(const DotTile& t) { dot_tile<UnpackQ5_0>(t); }
void dot_q4_1_avxvnni(const DotTile& t) { dot_tile<UnpackQ4_1>(t); }
void dot_q5_1_avxvnni(const DotTile& t) { dot_tile<UnpackQ5_1>(t); }
void dot_q4_0_repack_avxvnni(const DotTile& t) { dot_tile_repack<UnpackQ4_0>(t); }
void dot_iq4_nl_repack_avxvnni(const DotTile& t) { dot_tile_repack<UnpackIQ4_NL>(t); }
void dot_mxfp4_repack_avxvnni(const DotTile& t) { dot_tile_repack<UnpackMXFP4>(t); }

}  // namespace kernels
}  // namespace tome
#endif
