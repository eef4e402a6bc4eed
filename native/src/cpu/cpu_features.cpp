// CPU feature detection (once, lazily) and the scalar override.
#include "cpu/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <immintrin.h>
#include <intrin.h>
#endif

namespace tome {

namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  // libgcc's checks include the OS saving YMM state (XGETBV), not just CPUID bits.
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.f16c = __builtin_cpu_supports("f16c");
  f.avx512 = f.avx2 && f.fma && f.f16c && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  f.avx512vnni = f.avx512 && __builtin_cpu_supports("avx512vnni");
  f.avxvnni = f.avx2 && f.fma && f.f16c && __builtin_cpu_supports("avxvnni");
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
  int r[4];
  __cpuid(r, 0);
  const int max_leaf = r[0];
  __cpuid(r, 1);
  const bool osxsave = (r[2] >> 27) & 1;
  const bool ymm_os = osxsave && ((_xgetbv(0) & 6) == 6);
  const bool fma = (r[2] >> 12) & 1, f16c = (r[2] >> 29) & 1, avx = (r[2] >> 28) & 1;
  bool avx2 = false, avxvnni = false;
  if (max_leaf >= 7) {
    __cpuidex(r, 7, 0);
    avx2 = (r[1] >> 5) & 1;
    __cpuidex(r, 7, 1);
    avxvnni = (r[0] >> 4) & 1;  // CPUID.(EAX=7, ECX=1):EAX[4]
  }
  f.avx2 = ymm_os && avx && avx2;
  f.fma = ymm_os && fma;
  f.f16c = ymm_os && f16c;
  f.avxvnni = f.avx2 && f.fma && f.f16c && avxvnni;
#endif
  return f;
}

// TOME_CPU_CAP runs the builds of a lesser CPU on this one, for benchmarks and for
// chasing a difference between the builds: avx2 the AVX2 ones (and llama.cpp's
// haswell sum orders), as a CPU from before Alder Lake or Zen 5 runs them; avxvnni
// those of a CPU with AVX-VNNI and no AVX-512 (Intel's laptops and desktops since
// Alder Lake), the same orders. Any other value is ignored.
CpuFeatures capped(CpuFeatures f) {
  const char* cap = std::getenv("TOME_CPU_CAP");
  if (!cap) return f;
  const bool avx2 = std::strcmp(cap, "avx2") == 0, avxvnni = std::strcmp(cap, "avxvnni") == 0;
  if (avx2 || avxvnni) f.avx512 = f.avx512vnni = false;
  if (avx2) f.avxvnni = false;
  return f;
}

bool env_forces_scalar() {
  const char* v = std::getenv("TOME_FORCE_SCALAR");
  return v && *v && std::strcmp(v, "0") != 0;
}

std::atomic<bool> g_forced{false};

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = capped(detect());
  return f;
}

// TOME_FORCE_SCALAR=1 wins over set_force_scalar(false): a whole test run (or a
// user chasing a SIMD bug) can pin every kernel to the scalar flavour.
bool simd_enabled() {
  static const bool env_scalar = env_forces_scalar();
  if (env_scalar || g_forced.load(std::memory_order_relaxed)) return false;
  const CpuFeatures& f = cpu_features();
  return f.avx2 && f.fma && f.f16c;
}

void set_force_scalar(bool force) { g_forced.store(force, std::memory_order_relaxed); }

}  // namespace tome
