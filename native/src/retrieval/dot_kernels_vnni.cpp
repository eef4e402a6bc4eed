// AVX512-VNNI body of dots_gather_i8 (dot_kernels.h): vpdpbusd on 256-bit
// vectors (AVX512-VL) sums four u8 x s8 products into each int32 lane in one
// instruction, |q| times the row with q's signs. Compiled with AVX512 flags,
// called only when cpu_features().avx512vnni. Same exact sums as the other
// bodies.
#include <immintrin.h>

#include "retrieval/dot_kernels.h"

namespace tome::vnni {
#include "retrieval/dots_gather_i8_impl.h"
}  // namespace tome::vnni
