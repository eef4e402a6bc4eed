// Run-time CPU feature detection and the switch that forces the scalar kernels
// (tests run both paths; TOME_FORCE_SCALAR=1 in the environment forces scalar,
// TOME_CPU_CAP=avx2 leaves AVX-512 and AVX-VNNI unused, TOME_CPU_CAP=avxvnni AVX-512).
#pragma once

namespace tome {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  // llama.cpp loads one of ggml's CPU builds by the CPU's features; its AVX-512
  // builds (skylakex, icelake, zen4, ...) all need AVX-512 F, CD, VL, DQ and BW
  // on top of the haswell set (AVX2, FMA, F16C, BMI2), and sum attention in
  // 16-lane registers. True when llama.cpp would load one of those here.
  bool avx512 = false;
  // AVX512-VNNI with VL (vpdpbusd on 256-bit vectors): the int8 dot kernels of
  // dot_q32_vnni.cpp and dot_q4k_vnni.cpp (same results as the AVX2 ones, fewer
  // instructions per block).
  bool avx512vnni = false;
  // AVX-VNNI (VEX vpdpbusd on 256-bit vectors; Intel since Alder Lake, AMD since
  // Zen 5, with or without AVX-512): the *_avxvnni.cpp kernels, where no AVX512-VNNI
  // one applies. llama.cpp's alderlake build, which it loads on such a CPU without
  // AVX-512, sums in the haswell build's order.
  bool avxvnni = false;
};

const CpuFeatures& cpu_features();
// True when the AVX2+FMA kernels may be used now.
bool simd_enabled();
// Tests flip this to compare both paths in one process.
void set_force_scalar(bool force);

}  // namespace tome
