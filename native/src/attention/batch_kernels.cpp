#include "attention/batch_kernels.h"

#include "attention/sum_order.h"
#include "cpu/cpu_features.h"

namespace tome {

int fast_lanes(const SumOrder& o, int hd) {
  const bool lanes_ok = o.lanes == 8 || o.lanes == 16 || o.lanes == 32 || o.lanes == 64;
  const bool ok = lanes_ok && !o.pair_tail && hd % o.lanes == 0 && hd <= 1024 && simd_enabled() && cpu_features().fma;
  return ok ? o.lanes : 0;
}

const BatchKernels& batch_kernels() {
  return cpu_features().avx512 ? avx512::batch_kernels() : avx2::batch_kernels();
}

}  // namespace tome
