// The Q4_K kernels of dot_q4k_gemv_impl.h and dot_q4k_gemm_impl.h built with AVX-VNNI
// (VEX vpdpbusd / vpdpwssd on 256-bit vectors): the integers of dot_q4k_vnni.cpp, so
// the same bits as the AVX2 and scalar kernels. Called only when cpu_features().avxvnni.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/dot_q4k_gemm_impl.h"
#include "cpu/dot_q4k_gemv_impl.h"

namespace tome {
namespace kernels {

void dot_q4_K_avxvnni(const DotTile& t) { q4k_gemv_tile(t); }
void dot_q4_K_gemm_avxvnni(const DotTile& t) { q4k_gemm_tile(t); }

}  // namespace kernels
}  // namespace tome
#endif
