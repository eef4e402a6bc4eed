// AVX-VNNI body of dots_gather_i8 (dot_kernels.h): the VEX vpdpbusd of CPUs with
// AVX-VNNI (Intel since Alder Lake, AMD since Zen 5), as in dot_kernels_vnni.cpp one
// instruction for four products a lane where the AVX2 body takes two. Compiled with
// -mavxvnni, called only when cpu_features().avxvnni and not avx512vnni. Same exact
// sums as the other bodies.
#include <immintrin.h>

#include "retrieval/dot_kernels.h"

namespace tome::avxvnni {
#include "retrieval/dots_gather_i8_impl.h"
}  // namespace tome::avxvnni
