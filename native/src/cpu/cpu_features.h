// Run-time CPU feature detection and the switch that forces the scalar kernels
// (tests run both paths; TOME_FORCE_SCALAR=1 in the environment forces scalar).
#pragma once

namespace tome {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512 = false;  // AVX-512 F and DQ (decides which of llama.cpp's CPU builds we mirror)
};

const CpuFeatures& cpu_features();
// True when the AVX2+FMA kernels may be used now.
bool simd_enabled();
// Tests flip this to compare both paths in one process.
void set_force_scalar(bool force);

}  // namespace tome
