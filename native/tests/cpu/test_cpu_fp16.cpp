// fp16 / bf16 conversions: exhaustive over all 65536 halves, rounding cases, and
// agreement with the F16C hardware path (the AVX2 converters and F16 dot use it).
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "common/fp16.h"
#include "cpu_test_util.h"
#include "test_harness.h"

using tome::fp16_to_fp32;
using tome::fp32_to_fp16;
using tome::GgmlType;

namespace {

// The value of a half from its fields, computed in double (independent oracle).
double half_value(uint16_t h) {
  const int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v;
  if (e == 0) v = std::ldexp(double(m), -24);
  else if (e == 31) v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(1.0 + m / 1024.0, e - 15);
  return sign ? -v : v;
}

bool is_nan_half(uint16_t h) { return ((h >> 10) & 31) == 31 && (h & 1023) != 0; }

}  // namespace

TEST(fp16_to_fp32_exhaustive_matches_field_formula) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = fp16_to_fp32(uint16_t(h));
    const double want = half_value(uint16_t(h));
    if (is_nan_half(uint16_t(h))) {
      CHECK(std::isnan(f));
      continue;
    }
    if (!(double(f) == want)) TOME_FAIL("half " + std::to_string(h));
    CHECK_EQ(std::signbit(f), bool(h >> 15));  // -0 stays -0
  }
}

TEST(fp16_roundtrip_exhaustive) {
  for (uint32_t h = 0; h < 65536; ++h) {
    if (is_nan_half(uint16_t(h))) {
      CHECK(is_nan_half(fp32_to_fp16(fp16_to_fp32(uint16_t(h)))));
      continue;
    }
    if (fp32_to_fp16(fp16_to_fp32(uint16_t(h))) != h) TOME_FAIL("roundtrip of half " + std::to_string(h));
  }
}

TEST(fp16_rounds_to_nearest_even) {
  // Exactly halfway between two halves: ties go to the even mantissa.
  for (uint32_t h = 0; h < 0x7bff; ++h) {  // finite positive, below max
    const double lo = half_value(uint16_t(h)), hi = half_value(uint16_t(h + 1));
    const float mid = float((lo + hi) / 2);  // exact in float (halves have 11 bits)
    CHECK_EQ(double(mid), (lo + hi) / 2);
    const uint16_t want = (h & 1) ? uint16_t(h + 1) : uint16_t(h);
    if (fp32_to_fp16(mid) != want) TOME_FAIL("tie above half " + std::to_string(h));
    if (fp32_to_fp16(-mid) != uint16_t(want | 0x8000)) TOME_FAIL("negative tie above half " + std::to_string(h));
    // Just off the tie, in both directions.
    const float below = std::nextafter(mid, 0.0f), above = std::nextafter(mid, 1e9f);
    if (fp32_to_fp16(below) != h) TOME_FAIL("below tie " + std::to_string(h));
    if (fp32_to_fp16(above) != h + 1) TOME_FAIL("above tie " + std::to_string(h));
  }
}

TEST(fp16_special_values) {
  CHECK_EQ(fp32_to_fp16(0.0f), 0);
  CHECK_EQ(fp32_to_fp16(-0.0f), 0x8000);
  CHECK_EQ(fp32_to_fp16(1.0f), 0x3c00);
  CHECK_EQ(fp32_to_fp16(-2.0f), 0xc000);
  CHECK_EQ(fp32_to_fp16(65504.0f), 0x7bff);           // largest half
  CHECK_EQ(fp32_to_fp16(65519.996f), 0x7bff);         // below the overflow tie
  CHECK_EQ(fp32_to_fp16(65520.0f), 0x7c00);           // the tie rounds to even: inf
  CHECK_EQ(fp32_to_fp16(1e10f), 0x7c00);
  CHECK_EQ(fp32_to_fp16(-std::numeric_limits<float>::infinity()), 0xfc00);
  CHECK_EQ(fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  CHECK_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // tie with 0 -> even (0)
  CHECK_EQ(fp32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
  CHECK_EQ(fp32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);  // tie 1.5 ulp -> 2
  CHECK_EQ(fp32_to_fp16(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  CHECK_EQ(fp32_to_fp16(1e-30f), 0x0000);
  CHECK(is_nan_half(fp32_to_fp16(std::numeric_limits<float>::quiet_NaN())));
}

TEST(fp16_random_floats_are_nearest) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> expo(-26.0f, 16.5f);
  for (int i = 0; i < 200000; ++i) {
    const float f = std::ldexp(1.0f + float(rng() % (1u << 23)) / float(1u << 23), int(std::floor(expo(rng)))) *
                    (rng() & 1 ? -1.0f : 1.0f);
    const uint16_t h = fp32_to_fp16(f);
    const double got = half_value(h);
    if (std::isinf(got)) {
      CHECK(std::fabs(f) >= 65520.0f);
      continue;
    }
    // No other half is closer; at equal distance the even one wins.
    for (int step : {-1, 1}) {
      const uint16_t other = uint16_t(h + step);
      if ((other & 0x7fff) > 0x7bff || ((h & 0x7fff) == 0 && step < 0)) continue;
      const double dg = std::fabs(double(f) - got), do_ = std::fabs(double(f) - half_value(other));
      if (do_ < dg || (do_ == dg && (h & 1))) TOME_FAIL("not nearest-even for " + std::to_string(f));
    }
  }
}

TEST(bf16_exhaustive_roundtrip_and_rounding) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = tome::bf16_to_fp32(uint16_t(h));
    CHECK_EQ(cpu_test::bits(f), h << 16);
    const bool nan = ((h >> 7) & 0xff) == 0xff && (h & 0x7f) != 0;
    if (nan) {
      CHECK(std::isnan(tome::bf16_to_fp32(tome::fp32_to_bf16(f))));
      continue;
    }
    CHECK_EQ(tome::fp32_to_bf16(f), h);
    // halfway to the next bf16 (low 16 bits 0x8000): ties to even
    if ((h & 0x7fff) < 0x7f7f) {
      float mid;
      const uint32_t u = (h << 16) | 0x8000u;
      std::memcpy(&mid, &u, 4);
      CHECK_EQ(tome::fp32_to_bf16(mid), (h & 1) ? uint16_t(h + 1) : uint16_t(h));
      const uint32_t u2 = u + 1;
      std::memcpy(&mid, &u2, 4);
      CHECK_EQ(tome::fp32_to_bf16(mid), uint16_t(h + 1));
    }
  }
}

// The F16C / AVX2 converters give the same bits as the scalar code (non-NaN).
TEST(fp16_bf16_simd_converters_match_scalar) {
  if (!cpu_test::have_avx2()) SKIP("no AVX2/F16C on this CPU");
  std::vector<float> x;
  for (uint32_t h = 0; h < 65536; ++h)
    if (!is_nan_half(uint16_t(h))) x.push_back(fp16_to_fp32(uint16_t(h)));
  std::mt19937 rng(3);
  for (int i = 0; i < 100000; ++i) {
    float f;
    uint32_t u = rng();
    std::memcpy(&f, &u, 4);
    if (!std::isnan(f)) x.push_back(f);
  }
  x.push_back(std::numeric_limits<float>::quiet_NaN());  // BF16 NaN handling is exact too
  const int64_t n = int64_t(x.size());
  std::vector<uint16_t> a(x.size()), b(x.size());
  for (GgmlType t : {GgmlType::F16, GgmlType::BF16}) {
    const int64_t m = t == GgmlType::F16 ? n - 1 : n;  // F16 NaN payloads may differ
    tome::kernels::scalar_convert(t)(x.data(), a.data(), m);
    tome::kernels::avx2_convert(t)(x.data(), b.data(), m);
    for (int64_t i = 0; i < m; ++i)
      if (a[size_t(i)] != b[size_t(i)]) TOME_FAIL(cpu_test::tname(t) + " differs at " + std::to_string(x[size_t(i)]));
  }
}

TOME_TEST_MAIN()
