// AVX2 builds of the Q4_K kernels (dot_q4k_gemv_impl.h: per super-block order,
// dot_q4k_gemm_impl.h: llama.cpp's 4-token gemm order).
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/dot_q4k_gemm_impl.h"
#include "cpu/dot_q4k_gemv_impl.h"

namespace tome {
namespace kernels {

void dot_q4_K_avx2(const DotTile& t) { q4k_gemv_tile(t); }
void dot_q4_K_gemm_avx2(const DotTile& t) { q4k_gemm_tile(t); }

}  // namespace kernels
}  // namespace tome
#endif
