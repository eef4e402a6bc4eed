// The Q4_K kernels of dot_q4k_gemv_impl.h and dot_q4k_gemm_impl.h built with
// AVX512-VNNI (+VL, BW): vpdpbusd sums four products per int32 lane where the AVX2
// build uses vpmaddubsw (and, per super-block, 512-bit vectors), the same exact
// integers, so the same bits as the AVX2 and scalar kernels. Called only when
// cpu_features().avx512vnni.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own
// _mm512_undefined_* placeholders once inlined (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "cpu/dot_q4k_gemm_impl.h"
#include "cpu/dot_q4k_gemv_impl.h"

namespace tome {
namespace kernels {

void dot_q4_K_vnni(const DotTile& t) { q4k_gemv_tile(t); }
void dot_q4_K_gemm_vnni(const DotTile& t) { q4k_gemm_tile(t); }

}  // namespace kernels
}  // namespace tome
#endif
