// Quantized formats: hand-made blocks with known values (written byte by byte from
// the ggml format spec), quantize -> dequantize error bounds on seeded data, and
// the activation converters' exact semantics (scalar and AVX2 agree byte for byte).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/fp16.h"
#include "cpu/quant_blocks.h"
#include "cpu/kquant_fit.h"
#include "cpu/quantize_impl.h"
#include "cpu_test_util.h"
#include "test_harness.h"

using namespace cpu_test;
using tome::fp32_to_fp16;

namespace {

// Little-endian half bytes of an exactly representable float.
void put_half(uint8_t* p, float f) {
  const uint16_t h = fp32_to_fp16(f);
  p[0] = uint8_t(h & 0xff);
  p[1] = uint8_t(h >> 8);
}

void check_equal(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  CHECK_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    if (!(got[i] == want[i]))
      TOME_FAIL(what + " element " + std::to_string(i) + ": " + std::to_string(got[i]) + " vs " + std::to_string(want[i]));
}

double rms(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s / double(v.size()));
}

double rms_error(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(s / double(a.size()));
}

}  // namespace

TEST(block_sizes_match_ggml_type_table) {
  struct { GgmlType t; size_t size; } cases[] = {
      {GgmlType::Q4_0, sizeof(tome::BlockQ4_0)}, {GgmlType::Q8_0, sizeof(tome::BlockQ8_0)},
      {GgmlType::IQ4_NL, sizeof(tome::BlockIQ4_NL)}, {GgmlType::Q4_K, sizeof(tome::BlockQ4_K)},
      {GgmlType::Q5_K, sizeof(tome::BlockQ5_K)}, {GgmlType::Q6_K, sizeof(tome::BlockQ6_K)},
      {GgmlType::Q3_K, sizeof(tome::BlockQ3_K)}, {GgmlType::Q5_0, sizeof(tome::BlockQ5_0)},
      {GgmlType::Q4_1, sizeof(tome::BlockQ4_1)}, {GgmlType::Q5_1, sizeof(tome::BlockQ5_1)},
      {GgmlType::Q8_1, sizeof(tome::BlockQ8_1)}, {GgmlType::IQ4_XS, sizeof(tome::BlockIQ4_XS)},
      {GgmlType::Q2_K, sizeof(tome::BlockQ2_K)}, {GgmlType::MXFP4, sizeof(tome::BlockMXFP4)},
  };
  for (auto& c : cases) CHECK_EQ(size_t(tome::ggml_type_traits(c.t)->type_size), c.size);
  CHECK_EQ(tome::type_row_bytes(GgmlType::Q8_K, 512), size_t(584));
  CHECK_EQ(tome::type_block_size(GgmlType::Q8_K), int64_t(256));
  CHECK_EQ(offsetof(tome::BlockQ6_K, d), size_t(208));
  CHECK_EQ(offsetof(tome::BlockQ3_K, d), size_t(108));
  CHECK_EQ(offsetof(tome::BlockQ3_K, scales), size_t(96));
  CHECK_EQ(offsetof(tome::BlockQ5_K, qs), size_t(48));
  CHECK_EQ(offsetof(tome::BlockQ8_K, bsums), size_t(260));
}

TEST(hand_block_q8_0) {
  uint8_t b[34];
  put_half(b, 0.25f);
  for (int j = 0; j < 32; ++j) b[2 + j] = uint8_t(int8_t(j - 16));
  std::vector<float> want(32);
  for (int j = 0; j < 32; ++j) want[j] = float(j - 16) * 0.25f;
  check_equal(dequantized(GgmlType::Q8_0, b, 32), want, "Q8_0");
}

TEST(hand_block_q4_0) {
  // byte j: low nibble = element j, high nibble = element j+16; value (q-8)*d
  uint8_t b[18];
  put_half(b, 0.5f);
  for (int j = 0; j < 16; ++j) b[2 + j] = uint8_t(j | ((15 - j) << 4));
  std::vector<float> want(32);
  for (int j = 0; j < 16; ++j) {
    want[j] = float(j - 8) * 0.5f;
    want[j + 16] = float(15 - j - 8) * 0.5f;
  }
  check_equal(dequantized(GgmlType::Q4_0, b, 32), want, "Q4_0");
}

// MXFP4: one exponent byte e, then Q4_0's nibble layout; value = kMxfp4Values[nibble]
// * 2^(e - 128) (the doubled E2M1 levels times half the E8M0 scale).
TEST(hand_block_mxfp4) {
  const float e2m1[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  uint8_t b[17];
  b[0] = 127 + 3;  // scale 8
  for (int j = 0; j < 16; ++j) b[1 + j] = uint8_t(j | ((15 - j) << 4));
  std::vector<float> want(32);
  for (int j = 0; j < 16; ++j) {
    want[j] = 8.0f * e2m1[j];
    want[j + 16] = 8.0f * e2m1[15 - j];
  }
  want[8] = 0.0f;  // the level table holds +0 for -0 (ggml's int8 levels)
  want[16 + 7] = 0.0f;
  check_equal(dequantized(GgmlType::MXFP4, b, 32), want, "MXFP4");
  // the exponent's ends (element 1 is level 1, element 15 level -12): e = 0 and 1
  // give the subnormal half scales 2^-128 and 2^-127, e = 255 (E8M0's NaN) 2^127
  const struct { uint8_t e; float one; } ends[] = {{0, std::ldexp(1.0f, -128)}, {1, std::ldexp(1.0f, -127)},
                                                   {2, std::ldexp(1.0f, -126)}, {255, std::ldexp(1.0f, 127)}};
  for (const auto& c : ends) {
    b[0] = c.e;
    const std::vector<float> y = dequantized(GgmlType::MXFP4, b, 32);
    CHECK_EQ(y[1], c.one);
    if (c.e < 255) CHECK_EQ(y[15], -12.0f * c.one);
  }
}

TEST(hand_block_iq4_nl) {
  const int kv[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  uint8_t b[18];
  put_half(b, 2.0f);
  for (int j = 0; j < 16; ++j) b[2 + j] = uint8_t(j | ((15 - j) << 4));
  std::vector<float> want(32);
  for (int j = 0; j < 16; ++j) {
    want[j] = 2.0f * float(kv[j]);
    want[j + 16] = 2.0f * float(kv[15 - j]);
  }
  check_equal(dequantized(GgmlType::IQ4_NL, b, 32), want, "IQ4_NL");
}

// The IQ4_NL quantizers find a value's level by counting thresholds: the same level
// as ggml's binary search for every float near a level or a threshold (4096 floats on
// each side), the infinities, NaN, both zeros and 2^20 seeded values over the range.
TEST(iq4_nl_nearest_level_equals_ggml_search) {
  const int kv[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  int64_t checked = 0;
  auto check = [&](float v) {
    const int got = tome::quantizers::iq4nl_nearest_level(v), want = tome::quantizers::iq4nl_nearest_level_by_search(v);
    if (got != want) TOME_FAIL("level of " + std::to_string(v) + ": " + std::to_string(got) + " vs " + std::to_string(want));
    ++checked;
  };
  auto around = [&](float c) {
    float up = c, down = c;
    for (int i = 0; i < 4096; ++i) {
      check(up);
      check(down);
      up = std::nextafter(up, INFINITY);
      down = std::nextafter(down, -INFINITY);
    }
  };
  for (int j = 0; j < 16; ++j) around(float(kv[j]));
  for (int j = 1; j < 16; ++j) around(0.5f * float(kv[j - 1] + kv[j]));  // where the choice turns
  for (float v : {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 1e30f, -1e30f}) check(v);
  for (float v : random_row(1 << 20, 7, 60.0f)) check(v);
  CHECK(checked > (1 << 20));
}

// The K-quants' sub-block fit four sub-blocks at a time (SSE2 lanes) gives the bits of one
// at a time, for Q4_K's, Q5_K's and Q2_K's settings, on sub-blocks that take every branch
// in one group: constant (hi == lo, zero or not), all positive (the offset refit), a single
// outlier, a -0 as the least value, tiny and huge values, beside ordinary ones.
TEST(kquant_fit_four_at_a_time_equals_one_at_a_time) {
  struct Setting {
    int n, nmax;
    float rmin, rdelta;
    int nstep;
    bool abs_error;
  };
  const Setting settings[] = {{32, 15, -1.0f, 0.1f, 20, false}, {32, 31, -0.5f, 0.1f, 15, false}, {16, 3, -0.5f, 0.1f, 15, true}};
  int64_t compared = 0;
  for (const Setting& st : settings) {
    for (uint32_t seed = 1; seed <= 40; ++seed) {
      const int count = 16;
      std::vector<float> x = random_row(int64_t(count) * st.n, seed, seed % 3 == 0 ? 0.01f : 1.0f);
      for (int j = 0; j < count; ++j) {
        float* b = x.data() + j * st.n;
        switch ((j + seed) % 8) {
          case 0: std::fill(b, b + st.n, 0.0f); break;
          case 1: std::fill(b, b + st.n, -0.25f); break;
          case 2: for (int i = 0; i < st.n; ++i) b[i] = std::fabs(b[i]) + 0.5f; break;
          case 3: std::fill(b, b + st.n, 0.0f); b[st.n / 2] = 3.0f; break;
          case 4: for (int i = 0; i < st.n; ++i) b[i] *= 1e-20f; break;
          case 5: for (int i = 0; i < st.n; ++i) b[i] *= 1e20f; break;
          case 6: std::fill(b, b + st.n, 0.0f); b[0] = -0.0f; b[st.n - 1] = 1.0f; break;  // lo -0, kept
          default: break;
        }
      }
      std::vector<float> w(x.size());
      for (size_t i = 0; i < x.size(); ++i) w[i] = std::fabs(x[i]) + (seed % 2 ? 0.1f : 0.0f);
      std::vector<uint8_t> la(x.size()), lb(x.size());
      float sa[16], sb[16], ma[16], mb[16];
      tome::quantizers::fit_scale_min_blocks(count, st.n, st.nmax, x.data(), w.data(), la.data(), sa, ma, st.rmin,
                                             st.rdelta, st.nstep, st.abs_error);
      tome::quantizers::fit_scale_min_blocks_one_by_one(count, st.n, st.nmax, x.data(), w.data(), lb.data(), sb, mb,
                                                        st.rmin, st.rdelta, st.nstep, st.abs_error);
      CHECK(la == lb);
      for (int j = 0; j < count; ++j) {
        if (std::memcmp(&sa[j], &sb[j], 4) != 0 || std::memcmp(&ma[j], &mb[j], 4) != 0)
          TOME_FAIL("nmax " + std::to_string(st.nmax) + " seed " + std::to_string(seed) + " sub-block " +
                    std::to_string(j) + ": scale " + std::to_string(sa[j]) + " vs " + std::to_string(sb[j]) +
                    ", min " + std::to_string(ma[j]) + " vs " + std::to_string(mb[j]));
        ++compared;
      }
    }
  }
  CHECK_EQ(compared, int64_t(3 * 40 * 16));
}

// The same for the symmetric fit (Q6_K's): all-zero sub-blocks (and ones under 1e-15), a
// lone value, tiny and huge ones beside ordinary ones.
TEST(kquant_symmetric_fit_four_at_a_time_equals_one_at_a_time) {
  int64_t compared = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    const int count = 16, n = 16, nmax = 32;
    std::vector<float> x = random_row(int64_t(count) * n, seed, seed % 3 == 0 ? 0.01f : 1.0f);
    for (int j = 0; j < count; ++j) {
      float* b = x.data() + j * n;
      switch ((j + seed) % 6) {
        case 0: std::fill(b, b + n, 0.0f); break;
        case 1: std::fill(b, b + n, 1e-16f); break;
        case 2: std::fill(b, b + n, 0.0f); b[n / 2] = -3.0f; break;
        case 3: for (int i = 0; i < n; ++i) b[i] *= 1e20f; break;
        default: break;
      }
    }
    std::vector<uint8_t> la(x.size()), lb(x.size());
    float sa[16], sb[16];
    tome::quantizers::fit_symmetric_blocks(count, n, nmax, x.data(), la.data(), sa);
    tome::quantizers::fit_symmetric_blocks_one_by_one(count, n, nmax, x.data(), lb.data(), sb);
    CHECK(la == lb);
    for (int j = 0; j < count; ++j) {
      if (std::memcmp(&sa[j], &sb[j], 4) != 0)
        TOME_FAIL("seed " + std::to_string(seed) + " sub-block " + std::to_string(j) + ": scale " + std::to_string(sa[j]) +
                  " vs " + std::to_string(sb[j]));
      ++compared;
    }
  }
  CHECK_EQ(compared, int64_t(40 * 16));
}

// K-quant 6-bit scales/mins: scales[0..3] low 6 bits = sc0..3, top 2 bits = sc4..7
// bits 4-5; scales[4..7] likewise for mins; scales[8..11] = sc4..7 low 4 bits |
// m4..7 low 4 bits << 4.
void pack_k_scales(const int sc[8], const int m[8], uint8_t* s) {
  for (int j = 0; j < 4; ++j) {
    s[j] = uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = uint8_t((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    s[j + 8] = uint8_t((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
  }
}

TEST(k_scale_bytes_decode) {
  // One byte pattern checked by hand: sc4 = 0x1 | (0xC5 >> 6) << 4 = 49,
  // m4 = (0x21 >> 4) | (0x80 >> 6) << 4 = 2 | 2<<4 = 34, sc0 = 0xC5 & 63 = 5, m0 = 0.
  uint8_t s[12] = {0xC5, 0, 0, 0, 0x80, 0, 0, 0, 0x21, 0, 0, 0};
  uint8_t sc, m;
  tome::kquant_scale_min(0, s, &sc, &m);
  CHECK_EQ(int(sc), 5);
  CHECK_EQ(int(m), 0);
  tome::kquant_scale_min(4, s, &sc, &m);
  CHECK_EQ(int(sc), 49);
  CHECK_EQ(int(m), 34);
}

TEST(hand_block_q4_K) {
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = 8 * j + 7;  // 7..63: every 6-bit position used
    m[j] = 63 - 8 * j;
  }
  uint8_t b[144] = {};
  put_half(b, 1.0f);
  put_half(b + 2, 0.5f);
  pack_k_scales(sc, m, b + 4);
  // chunk c uses qs[32c..32c+31]: low nibble -> element 64c+l, high -> 64c+32+l
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) b[16 + 32 * c + l] = uint8_t((l % 16) | ((15 - l % 16) << 4));
  std::vector<float> want(256);
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      want[64 * c + l] = float(sc[2 * c] * (l % 16)) - 0.5f * float(m[2 * c]);
      want[64 * c + 32 + l] = float(sc[2 * c + 1] * (15 - l % 16)) - 0.5f * float(m[2 * c + 1]);
    }
  check_equal(dequantized(GgmlType::Q4_K, b, 256), want, "Q4_K");
}

TEST(hand_block_q5_K) {
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = 63 - 5 * j;
    m[j] = 3 * j + 1;
  }
  uint8_t b[176] = {};
  put_half(b, 0.25f);
  put_half(b + 2, 1.0f);
  pack_k_scales(sc, m, b + 4);
  uint8_t* qh = b + 16;
  uint8_t* qs = b + 48;
  int q[256];  // the 5-bit levels we encode
  for (int i = 0; i < 256; ++i) q[i] = (i * 7 + 3) % 32;
  // element 64c+l: low nibble of qs[32c+l], 5th bit = qh[l] bit 2c;
  // element 64c+32+l: high nibble of qs[32c+l], 5th bit = qh[l] bit 2c+1
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      const int a = q[64 * c + l], h = q[64 * c + 32 + l];
      qs[32 * c + l] = uint8_t((a & 15) | ((h & 15) << 4));
      qh[l] = uint8_t(qh[l] | ((a >> 4) << (2 * c)) | ((h >> 4) << (2 * c + 1)));
    }
  std::vector<float> want(256);
  for (int i = 0; i < 256; ++i) want[i] = 0.25f * float(sc[i / 32]) * float(q[i]) - float(m[i / 32]);
  check_equal(dequantized(GgmlType::Q5_K, b, 256), want, "Q5_K");
}

TEST(hand_block_q6_K) {
  uint8_t b[210] = {};
  uint8_t* ql = b;
  uint8_t* qh = b + 128;
  int8_t* scales = reinterpret_cast<int8_t*>(b + 192);
  put_half(b + 208, 0.5f);
  for (int g = 0; g < 16; ++g) scales[g] = int8_t(g % 2 ? -(g * 8) : g * 8 + 1);
  scales[15] = -128;
  int q[256];  // 6-bit levels 0..63 (value q - 32)
  for (int i = 0; i < 256; ++i) q[i] = (i * 13 + 5) % 64;
  // half h: element 128h + 32k + l; low 4 bits in ql[64h + l + 32*(k%2)] (low nibble
  // for k < 2, high for k >= 2); high 2 bits in qh[32h + l] bits 2k, 2k+1
  for (int h = 0; h < 2; ++h)
    for (int k = 0; k < 4; ++k)
      for (int l = 0; l < 32; ++l) {
        const int v = q[128 * h + 32 * k + l];
        ql[64 * h + l + 32 * (k % 2)] = uint8_t(ql[64 * h + l + 32 * (k % 2)] | ((v & 15) << (k < 2 ? 0 : 4)));
        qh[32 * h + l] = uint8_t(qh[32 * h + l] | ((v >> 4) << (2 * k)));
      }
  std::vector<float> want(256);
  for (int i = 0; i < 256; ++i) want[i] = 0.5f * float(scales[i / 16]) * float(q[i] - 32);
  check_equal(dequantized(GgmlType::Q6_K, b, 256), want, "Q6_K");
}

// quantize -> dequantize on N(0,1) data with 6-sigma outliers every 97 elements:
// relative RMS error bounds, about 15% above the worst of the measured values
// (seeds 1-3: F16 2.1e-4, BF16 1.8e-3, Q8_0 8.3e-3, Q4_0 0.129, IQ4_NL 0.100,
// Q3_K 0.185, Q4_K 0.087, Q5_K 0.043, Q6_K 0.025, Q8_K 0.017, Q5_0 0.064, Q4_1 0.091,
// Q5_1 0.044, Q8_1 8.3e-3, IQ4_XS 0.102, Q2_K 0.340, MXFP4 0.140).
TEST(quantize_roundtrip_error_bounds) {
  struct Case { GgmlType t; double max_rel_rms; };
  const Case cases[] = {
      {GgmlType::F32, 0.0},     {GgmlType::F16, 0.00025},  {GgmlType::BF16, 0.0022}, {GgmlType::Q8_0, 0.0095},
      {GgmlType::Q4_0, 0.145},  {GgmlType::IQ4_NL, 0.115}, {GgmlType::Q4_K, 0.098},  {GgmlType::Q5_K, 0.049},
      {GgmlType::Q6_K, 0.028},  {GgmlType::Q8_K, 0.02},   {GgmlType::Q3_K, 0.215}, {GgmlType::Q5_0, 0.074},
      {GgmlType::Q4_1, 0.105},  {GgmlType::Q5_1, 0.051},  {GgmlType::Q8_1, 0.0095}, {GgmlType::IQ4_XS, 0.118},
      {GgmlType::Q2_K, 0.39},   {GgmlType::MXFP4, 0.162},
  };
  for (const Case& c : cases) {
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      const std::vector<float> x = random_row(4096, seed, seed == 2 ? 0.02f : 1.0f);
      const std::vector<uint8_t> q = quantized(c.t, x);
      const std::vector<float> y = dequantized(c.t, q.data(), 4096);
      const double rel = rms_error(x, y) / rms(x);
      if (std::getenv("TOME_TEST_VERBOSE")) std::printf("  %s seed %u: %.5f\n", tname(c.t).c_str(), seed, rel);
      if (!(rel <= c.max_rel_rms))
        TOME_FAIL(tname(c.t) + " relative rms error " + std::to_string(rel) + " > " + std::to_string(c.max_rel_rms));
    }
  }
}

TEST(quantize_zero_and_constant_blocks) {
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_1, GgmlType::Q5_1, GgmlType::Q8_1,
                     GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::IQ4_XS, GgmlType::Q2_K, GgmlType::Q3_K,
                     GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_K}) {
    std::vector<float> zero(512, 0.0f);
    for (float v : dequantized(t, quantized(t, zero).data(), 512)) CHECK_EQ(v, 0.0f);
    std::vector<float> c(512, 0.75f);  // every block constant: close reproduction
    for (float v : dequantized(t, quantized(t, c).data(), 512))
      if (!(std::fabs(v - 0.75f) < 0.75f * 0.02f)) TOME_FAIL(tname(t) + " constant block gives " + std::to_string(v));
  }
}

TEST(q8_0_weight_quantizer_is_ggml_ref) {
  // amax 127 -> d = 1, id = 1/d = 1; roundf sends 2.5 to 3 and -0.5 to -1
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = -0.5f;
  x[3] = 3.49f;
  const std::vector<uint8_t> q = quantized(GgmlType::Q8_0, x);
  const tome::BlockQ8_0* b = reinterpret_cast<const tome::BlockQ8_0*>(q.data());
  CHECK_EQ(b->d, uint16_t(0x3c00));
  CHECK_EQ(int(b->qs[0]), 127);
  CHECK_EQ(int(b->qs[1]), 3);
  CHECK_EQ(int(b->qs[2]), -1);
  CHECK_EQ(int(b->qs[3]), 3);
}

TEST(q4_0_weight_quantizer_is_ggml_ref) {
  // max by magnitude (sign kept) = -16 -> d = -16/-8 = 2, id = 0.5;
  // q = min(15, trunc(x*id + 8.5))
  std::vector<float> x(32, 0.0f);
  x[0] = -16.0f;
  x[1] = 14.0f;   // 7 + 8.5 = 15.5 -> 15
  x[2] = 1.0f;    // 0.5 + 8.5 = 9
  x[17] = -3.0f;  // -1.5 + 8.5 = 7
  const std::vector<uint8_t> q = quantized(GgmlType::Q4_0, x);
  const tome::BlockQ4_0* b = reinterpret_cast<const tome::BlockQ4_0*>(q.data());
  CHECK_EQ(tome::fp16_to_fp32(b->d), 2.0f);
  CHECK_EQ(b->qs[0] & 15, 0);
  CHECK_EQ(b->qs[1] & 15, 15);
  CHECK_EQ(b->qs[2] & 15, 9);
  CHECK_EQ(b->qs[1] >> 4, 7);
  CHECK_EQ(b->qs[0] >> 4, 8);
}

TEST(q8_0_activation_rounds_half_even_with_127_over_amax) {
  std::vector<float> x(64, 0.0f);
  x[0] = 127.0f;  // id = 127/127 = 1
  x[1] = 2.5f;    // tie -> 2 (roundf would give 3)
  x[2] = 3.5f;    // tie -> 4
  x[3] = -2.5f;   // -> -2
  x[32] = -0.3f;  // second block: amax 0.3, id = 127/0.3 (not 1/d with d = 0.3/127)
  x[33] = 0.1f;
  const std::vector<uint8_t> q = activation(GgmlType::Q8_0, x);
  const tome::BlockQ8_0* b = reinterpret_cast<const tome::BlockQ8_0*>(q.data());
  CHECK_EQ(int(b[0].qs[0]), 127);
  CHECK_EQ(int(b[0].qs[1]), 2);
  CHECK_EQ(int(b[0].qs[2]), 4);
  CHECK_EQ(int(b[0].qs[3]), -2);
  CHECK_EQ(int(b[1].qs[0]), -127);
  CHECK_EQ(int(b[1].qs[1]), int(std::nearbyint(0.1f * (127.0f / 0.3f))));
  CHECK_EQ(b[1].d, fp32_to_fp16(0.3f / 127.0f));
}

TEST(q8_K_activation_semantics) {
  std::vector<float> x(512, 0.0f);
  for (int i = 0; i < 256; ++i) x[i] = float((i % 11) - 5) * 0.1f;
  x[10] = -2.0f;  // first largest magnitude: its sign sets iscale's, it maps to -127
  x[20] = 2.0f;   // same magnitude later: maps to +127
  // second block all zero
  const std::vector<uint8_t> q = activation(GgmlType::Q8_K, x);
  const tome::BlockQ8_K* b = reinterpret_cast<const tome::BlockQ8_K*>(q.data());
  const float iscale = -127.0f / -2.0f;
  CHECK_EQ(b[0].d, 1.0f / iscale);
  CHECK_EQ(int(b[0].qs[10]), -127);
  CHECK_EQ(int(b[0].qs[20]), 127);
  for (int i = 0; i < 256; ++i) {
    const int want = std::min(127, int(std::nearbyint(iscale * x[i])));
    if (int(b[0].qs[i]) != want) TOME_FAIL("q8_K element " + std::to_string(i));
  }
  for (int g = 0; g < 16; ++g) {
    int s = 0;
    for (int j = 0; j < 16; ++j) s += b[0].qs[16 * g + j];
    CHECK_EQ(int(b[0].bsums[g]), s);
  }
  CHECK_EQ(b[1].d, 0.0f);
  for (int i = 0; i < 256; ++i) CHECK_EQ(int(b[1].qs[i]), 0);
  for (int g = 0; g < 16; ++g) CHECK_EQ(int(b[1].bsums[g]), 0);
}

// Scalar and AVX2 activation converters write identical bytes, including on
// rounding ties, zero blocks and sign ties of the Q8_K maximum.
TEST(activation_converters_scalar_vs_avx2_bytes) {
  if (!have_avx2()) SKIP("no AVX2 on this CPU");
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q8_1, GgmlType::Q8_K}) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      const int64_t n = seed % 4 == 0 ? 256 : 4096;
      std::vector<float> x = random_row(n, seed);
      if (seed % 3 == 0) {  // integers and halves after scaling: rounding ties
        x.assign(size_t(n), 0.0f);
        for (int64_t i = 0; i < n; ++i) x[size_t(i)] = float(int(i % 255) - 127) * (i % 2 ? 0.5f : 1.0f);
      }
      if (seed % 5 == 0) std::fill(x.begin(), x.begin() + 256, 0.0f);  // zero blocks
      if (seed % 7 == 0) { x[3] = -50.0f; x[9] = 50.0f; }               // max-magnitude tie
      std::vector<uint8_t> a(tome::type_row_bytes(t, n)), b(a.size());
      tome::kernels::scalar_convert(t)(x.data(), a.data(), n);
      tome::kernels::avx2_convert(t)(x.data(), b.data(), n);
      if (a != b) TOME_FAIL(tname(t) + " converters differ, seed " + std::to_string(seed));
    }
  }
}

TEST(unsupported_types_throw) {
  float x[256] = {};
  uint8_t buf[1024];
  CHECK_EQ(error_code_of([&] { tome::quantize_row(GgmlType::IQ2_XXS, x, buf, 256); }), "UNSUPPORTED_TYPE");
  CHECK_EQ(error_code_of([&] { tome::dequantize_row(GgmlType::IQ2_XXS, buf, x, 256); }), "UNSUPPORTED_TYPE");
  CHECK_EQ(error_code_of([&] { (void)tome::vec_dot_type(GgmlType::IQ2_XXS); }), "UNSUPPORTED_TYPE");
  CHECK_EQ(error_code_of([&] { tome::quantize_row(GgmlType::Q4_K, x, buf, 100); }), "BAD_ARGUMENT");
  CHECK_EQ(error_code_of([&] { (void)tome::vec_dot(GgmlType::IQ2_XXS, buf, buf, 256); }), "UNSUPPORTED_TYPE");
  CHECK(!tome::can_quantize(GgmlType::IQ2_XXS));
  CHECK(tome::can_quantize(GgmlType::Q6_K));
  CHECK(tome::vec_dot_type(GgmlType::Q4_0) == GgmlType::Q8_0);
  CHECK(tome::vec_dot_type(GgmlType::IQ4_NL) == GgmlType::Q8_0);
  CHECK(tome::vec_dot_type(GgmlType::MXFP4) == GgmlType::Q8_0);
  CHECK(tome::vec_dot_type(GgmlType::Q4_1) == GgmlType::Q8_1);
  CHECK(tome::vec_dot_type(GgmlType::Q5_1) == GgmlType::Q8_1);
  CHECK(tome::vec_dot_type(GgmlType::Q5_K) == GgmlType::Q8_K);
  CHECK(tome::vec_dot_type(GgmlType::F16) == GgmlType::F16);
  CHECK(tome::vec_dot_type(GgmlType::BF16) == GgmlType::BF16);
}

TOME_TEST_MAIN()
