#include "attention/batch_kernels.h"

#include "attention/sum_order.h"
#include "cpu/cpu_features.h"

namespace tome {

int batch_fast_lanes(int hd) {
  const SumOrder o = batch_order();
  const bool ok = (o.lanes == 8 || o.lanes == 16) && !o.pair_tail && hd % o.lanes == 0 && simd_enabled() &&
                  cpu_features().fma;
  return ok ? o.lanes : 0;
}

}  // namespace tome
