// Dot-product kernels: scalar vs a double-precision dot of the dequantized rows
// (tight bound), AVX2 vs scalar (bit-exact: both follow the canonical order of
// cpu/kernels.h), and multi-row calls equal to single-row calls.
#include <cmath>
#include <cstring>

#include "cpu/avx2_entry.h"
#include "cpu/quant_blocks.h"
#include "cpu_test_util.h"
#include "test_harness.h"

using namespace cpu_test;
namespace k = tome::kernels;

namespace {

struct Rows {
  std::vector<uint8_t> w, a;  // weight row, activation row (vec_dot_type)
};

Rows make_rows(GgmlType t, int64_t n, uint32_t seed) {
  Rows r;
  r.w = quantized(t, random_row(n, seed * 2 + 1, 0.05f));
  r.a = activation(tome::vec_dot_type(t), random_row(n, seed * 2 + 2, 1.0f));
  return r;
}

float one_dot(k::DotFn f, const void* w, const void* a, int64_t n) {
  float out;
  f(k::DotTile{static_cast<const uint8_t*>(w), 0, 1, static_cast<const uint8_t*>(a), 0, 1, n, &out, 0});
  return out;
}

float scalar_dot(GgmlType t, const Rows& r, int64_t n) { return one_dot(k::scalar_dot(t), r.w.data(), r.a.data(), n); }

}  // namespace

// |scalar - exact dot of the dequantized values| <= 2e-6 * sum|w_i a_i| * sqrt(n/32):
// a few float roundings per block, far below the quantization error itself.
TEST(scalar_dot_matches_dequantized_reference) {
  for (GgmlType t : dot_types()) {
    for (int64_t n : lengths_for(t)) {
      for (uint32_t seed = 1; seed <= 4; ++seed) {
        const Rows r = make_rows(t, n, seed);
        double mag;
        const double ref = reference_dot(t, r.w.data(), r.a.data(), n, &mag);
        const double got = scalar_dot(t, r, n);
        const double tol = 2e-6 * mag * std::sqrt(double(n) / 32.0 + 1.0) + 1e-30;
        if (!(std::fabs(got - ref) <= tol))
          TOME_FAIL(tname(t) + " n=" + std::to_string(n) + ": " + std::to_string(got) + " vs " + std::to_string(ref) +
                    " (tol " + std::to_string(tol) + ")");
      }
    }
  }
}

const char* const kFlavour[4] = {" scalar", " avx2", " vnni", " avxvnni"};

// The SIMD builds of a type's kernel this CPU runs: AVX2, and AVX512-VNNI and
// AVX-VNNI where it has them (same results; checked separately since select_dot
// takes only one).
std::vector<k::DotFn> simd_dots(GgmlType t) {
  std::vector<k::DotFn> fs{k::avx2_dot(t)};
  if (k::DotFn v = k::vnni_dot(t)) fs.push_back(v);
  if (k::DotFn v = k::avxvnni_dot(t)) fs.push_back(v);
  return fs;
}

TEST(avx2_dot_bit_exact_with_scalar) {
  if (!have_avx2()) SKIP("no AVX2/FMA/F16C on this CPU");
  for (GgmlType t : dot_types()) {
    for (int64_t n : lengths_for(t)) {
      for (uint32_t seed = 1; seed <= 6; ++seed) {
        const Rows r = make_rows(t, n, seed);
        const float ref = scalar_dot(t, r, n);
        for (k::DotFn f : simd_dots(t)) {
          const float simd = one_dot(f, r.w.data(), r.a.data(), n);
          if (bits(simd) != bits(ref))
            TOME_FAIL(tname(t) + " n=" + std::to_string(n) + ": simd " + std::to_string(simd) + " vs scalar " +
                      std::to_string(ref));
        }
      }
    }
  }
}

// Weight levels at the extremes (Q8_0 -128..127 from raw bytes, 4-bit 0 and 15, Q5_1 0 and 31,
// Q6_K 0 and 63 with scale -128) with activations at +-127 stress the SIMD
// sign/saturation tricks.
TEST(avx2_dot_extreme_values) {
  if (!have_avx2()) SKIP("no AVX2/FMA/F16C on this CPU");
  for (GgmlType t : dot_types()) {
    if (tome::type_block_size(t) == 1) continue;
    const int64_t n = 512;
    for (uint32_t seed = 1; seed <= 8; ++seed) {
      std::vector<uint8_t> w(tome::type_row_bytes(t, n));
      std::mt19937 rng(seed);
      for (auto& b : w) b = seed % 2 ? uint8_t(rng() % 2 ? 0xff : 0x00) : uint8_t(rng() % 2 ? 0x80 : 0x7f);
      // keep scales finite: overwrite the f16 d fields with 1.0 / 0.5
      const int64_t bs = tome::type_block_size(t);
      const size_t bb = tome::type_row_bytes(t, bs);
      for (size_t off = 0; off < w.size(); off += bb) {
        if (t == GgmlType::Q6_K) { w[off + 208] = 0x00; w[off + 209] = 0x3c; }
        else if (t == GgmlType::Q2_K) { w[off + 80] = 0x00; w[off + 81] = 0x3c; w[off + 82] = 0x00; w[off + 83] = 0x38; }
        else if (t == GgmlType::Q3_K) { w[off + 108] = 0x00; w[off + 109] = 0x3c; }
        else { w[off] = 0x00; w[off + 1] = 0x3c; }
        if (t == GgmlType::Q4_K || t == GgmlType::Q5_K || t == GgmlType::Q4_1 || t == GgmlType::Q5_1) {
          w[off + 2] = 0x00;  // dmin or m: 0.5
          w[off + 3] = 0x38;
        }
      }
      std::vector<float> x(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) x[size_t(i)] = (rng() % 2 ? 1.0f : -1.0f) * (i % 3 ? 1.0f : 0.5f);
      const std::vector<uint8_t> a = activation(tome::vec_dot_type(t), x);
      const float s = one_dot(k::scalar_dot(t), w.data(), a.data(), n);
      for (k::DotFn f : simd_dots(t)) {
        const float v = one_dot(f, w.data(), a.data(), n);
        if (bits(s) != bits(v)) TOME_FAIL(tname(t) + " extreme seed " + std::to_string(seed) + ": " +
                                          std::to_string(v) + " vs " + std::to_string(s));
      }
      // and against the dequantized reference
      double mag;
      const double ref = reference_dot(t, w.data(), a.data(), n, &mag);
      CHECK_NEAR(s, ref, 1e-5 * mag + 1e-30);
    }
  }
}

// Every tile shape (1..4 weight rows x 1..4 activation rows, rows not adjacent)
// gives exactly the 1 x 1 results, in every flavour (scalar, AVX2, AVX512-VNNI, AVX-VNNI).
TEST(tile_dot_equals_single_dots) {
  for (int flavour = 0; flavour < 4; ++flavour) {
    const bool simd = flavour > 0;
    if (simd && !have_avx2()) continue;
    for (GgmlType t : dot_types()) {
      const int64_t n = tome::type_block_size(t) == 1 ? 100 : 1024;
      const GgmlType at = tome::vec_dot_type(t);
      const size_t w_stride = tome::type_row_bytes(t, n) + 40, a_stride = tome::type_row_bytes(at, n) + 64;
      std::vector<uint8_t> ws(w_stride * k::kMaxWeightRows), acts(a_stride * k::kMaxActRows);
      for (int r = 0; r < k::kMaxWeightRows; ++r) {
        const std::vector<uint8_t> w = quantized(t, random_row(n, 5 + uint32_t(r), 0.05f));
        std::memcpy(ws.data() + size_t(r) * w_stride, w.data(), w.size());
      }
      for (int r = 0; r < k::kMaxActRows; ++r) {
        const std::vector<uint8_t> a = activation(at, random_row(n, 100 + uint32_t(r)));
        std::memcpy(acts.data() + size_t(r) * a_stride, a.data(), a.size());
      }
      const k::DotFn dot = flavour == 0   ? k::scalar_dot(t)
                           : flavour == 1 ? k::avx2_dot(t)
                           : flavour == 2 ? k::vnni_dot(t)
                                          : k::avxvnni_dot(t);
      if (!dot) continue;
      float single[k::kMaxActRows][k::kMaxWeightRows];
      for (int a = 0; a < k::kMaxActRows; ++a)
        for (int r = 0; r < k::kMaxWeightRows; ++r)
          single[a][r] = one_dot(dot, ws.data() + size_t(r) * w_stride, acts.data() + size_t(a) * a_stride, n);
      for (int n_w = 1; n_w <= k::kMaxWeightRows; ++n_w) {
        for (int n_act = 1; n_act <= k::kMaxActRows; ++n_act) {
          float out[k::kMaxActRows][7];  // out_stride 7: outputs need not be packed
          dot(k::DotTile{ws.data(), w_stride, n_w, acts.data(), a_stride, n_act, n, &out[0][0], 7});
          for (int a = 0; a < n_act; ++a)
            for (int r = 0; r < n_w; ++r)
              if (bits(out[a][r]) != bits(single[a][r]))
                TOME_FAIL(tname(t) + kFlavour[flavour] + " tile " + std::to_string(n_w) + "x" +
                          std::to_string(n_act) + " at " + std::to_string(r) + "," + std::to_string(a));
        }
      }
    }
  }
}

// llama.cpp's repacked orders (gemv and 4-token gemm kernels of Q4_0, IQ4_NL, MXFP4, Q4_K
// and Q2_K): every SIMD build this CPU runs gives, for every tile shape (up to 11 rows
// for one token, past the 8-row gemv of the 4-bit types; up to their 8-row tiles, or 4,
// for more), exactly the
// scalar kernel's 1 x 1 results, on random rows and on extreme levels (4-bit 0 and
// 15 with activations at -128 and 127, which bound the kernels' int16 lanes).
TEST(repack_dots_bit_exact_with_scalar) {
  if (!have_avx2()) SKIP("no AVX2/FMA/F16C on this CPU");
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::Q4_K, GgmlType::Q2_K}) {
    const int64_t n = tome::type_block_size(t) == 32 ? 1024 : 2304;  // K-quants: 9 super-blocks (8 + a tail)
    const GgmlType at = tome::vec_dot_type(t);
    const size_t w_stride = tome::type_row_bytes(t, n) + 24, a_stride = tome::type_row_bytes(at, n) + 40;
    // one token: up to 8 rows a tile and a tail (kMaxDecodeRows); more tokens: k::tile_rows
    constexpr int kRows = k::kMaxDecodeRows + 3;
    for (int extreme = 0; extreme < 2; ++extreme) {
      std::vector<uint8_t> ws(w_stride * kRows), acts(a_stride * k::kMaxActRows);
      std::mt19937 rng(7 + uint32_t(extreme));
      for (int r = 0; r < kRows; ++r) {
        std::vector<uint8_t> w = quantized(t, random_row(n, 30 + uint32_t(r), 0.05f));
        if (extreme) {  // every nibble 0 or 15, scales and mins at their largest
          const size_t bb = tome::type_row_bytes(t, tome::type_block_size(t));
          for (size_t off = 0; off < w.size(); off += bb)
            for (size_t b = t == GgmlType::Q4_K ? 4 : t == GgmlType::Q2_K ? 0 : t == GgmlType::MXFP4 ? 1 : 2;
                 b < (t == GgmlType::Q2_K ? 80 : bb); ++b)
              w[off + b] = rng() % 2 ? 0xff : 0x00;
        }
        std::memcpy(ws.data() + size_t(r) * w_stride, w.data(), w.size());
      }
      for (int r = 0; r < k::kMaxActRows; ++r) {
        std::vector<float> x = random_row(n, 200 + uint32_t(r));
        if (extreme)
          for (float& v : x) v = rng() % 2 ? 1.0f : -1.0f;
        const std::vector<uint8_t> a = activation(at, x);
        std::memcpy(acts.data() + size_t(r) * a_stride, a.data(), a.size());
      }
      for (bool gemm : {false, true}) {
        const k::DotFn ref = k::scalar_dot_repack(t, gemm);
        float single[k::kMaxActRows][kRows];
        for (int a = 0; a < k::kMaxActRows; ++a)
          for (int r = 0; r < kRows; ++r)
            single[a][r] = one_dot(ref, ws.data() + size_t(r) * w_stride, acts.data() + size_t(a) * a_stride, n);
        const k::DotFn flavours[3] = {k::avx2_dot_repack(t, gemm), k::vnni_dot_repack(t, gemm),
                                      k::avxvnni_dot_repack(t, gemm)};
        for (int f = 0; f < 3; ++f) {
          if (!flavours[f]) continue;
          for (int n_w = 1; n_w <= kRows; ++n_w)
            for (int n_act = 1; n_act <= (n_w <= k::tile_rows(t, true) ? k::kMaxActRows : 1); ++n_act) {
              float out[k::kMaxActRows][kRows + 2];  // out_stride past n_w: outputs need not be packed
              flavours[f](k::DotTile{ws.data(), w_stride, n_w, acts.data(), a_stride, n_act, n, &out[0][0], kRows + 2});
              for (int a = 0; a < n_act; ++a)
                for (int r = 0; r < n_w; ++r)
                  if (bits(out[a][r]) != bits(single[a][r]))
                    TOME_FAIL(tname(t) + (gemm ? " gemm" : " gemv") + kFlavour[f + 1] +
                              (extreme ? " extreme" : "") + " tile " + std::to_string(n_w) + "x" +
                              std::to_string(n_act) + " at " + std::to_string(r) + "," + std::to_string(a) + ": " +
                              std::to_string(out[a][r]) + " vs " + std::to_string(single[a][r]));
            }
        }
      }
    }
  }
}

// The public entry points: vec_dot follows the flavour switch, vec_dot_scalar
// does not, and (canonical order) they agree.
TEST(public_vec_dot_and_force_scalar) {
  for (GgmlType t : dot_types()) {
    const int64_t n = tome::type_block_size(t) == 1 ? 300 : 768;
    const Rows r = make_rows(t, n, 9);
    const float s = tome::vec_dot_scalar(t, r.w.data(), r.a.data(), n);
    tome::set_force_scalar(true);
    CHECK(!tome::simd_enabled());
    const float forced = tome::vec_dot(t, r.w.data(), r.a.data(), n);
    tome::set_force_scalar(false);
    const float dflt = tome::vec_dot(t, r.w.data(), r.a.data(), n);
    CHECK_EQ(bits(forced), bits(s));
    CHECK_EQ(bits(dflt), bits(s));
  }
}

// IQ4_XS in llama.cpp's IQ panel order: the AVX2 kernel (4 and 8 tokens decoded together)
// and the AVX512-VNNI one (tiles of 4 tokens: sub-blocks in the lanes, biased levels) give,
// for every tile shape up to kMaxPanelActRows tokens, the
// scalar kernel's 1 x 1 results, on random rows and on extreme ones (levels -127 and
// 113, scales -32 and 31, activations at +-127: the largest integer sums).
TEST(iq4_xs_panel_dots_bit_exact_with_scalar) {
#ifdef TOME_HAVE_AVX2_KERNELS
  if (!have_avx2()) SKIP("no AVX2/FMA/F16C on this CPU");
  const GgmlType t = GgmlType::IQ4_XS;
  const int64_t n = 2304;  // 9 super-blocks
  const size_t w_stride = tome::type_row_bytes(t, n) + 24, a_stride = tome::type_row_bytes(GgmlType::Q8_K, n) + 40;
  for (int extreme = 0; extreme < 2; ++extreme) {
    std::vector<uint8_t> ws(w_stride * k::kMaxWeightRows), acts(a_stride * k::kMaxPanelActRows);
    std::mt19937 rng(11 + uint32_t(extreme));
    for (int r = 0; r < k::kMaxWeightRows; ++r) {
      std::vector<uint8_t> w = quantized(t, random_row(n, 40 + uint32_t(r), 0.05f));
      if (extreme)  // scales and nibbles all 0 or all 1 bits, d kept
        for (size_t off = 0; off < w.size(); off += sizeof(tome::BlockIQ4_XS))
          for (size_t b = 2; b < sizeof(tome::BlockIQ4_XS); ++b) w[off + b] = rng() % 2 ? 0xff : 0x00;
      std::memcpy(ws.data() + size_t(r) * w_stride, w.data(), w.size());
    }
    for (int r = 0; r < k::kMaxPanelActRows; ++r) {
      std::vector<float> x = random_row(n, 300 + uint32_t(r));
      if (extreme)
        for (float& v : x) v = rng() % 2 ? 1.0f : -1.0f;
      const std::vector<uint8_t> a = activation(GgmlType::Q8_K, x);
      std::memcpy(acts.data() + size_t(r) * a_stride, a.data(), a.size());
    }
    tome::set_force_scalar(true);
    const k::DotFn ref = k::select_dot_panel(t);
    tome::set_force_scalar(false);
    float single[k::kMaxPanelActRows][k::kMaxWeightRows];
    for (int a = 0; a < k::kMaxPanelActRows; ++a)
      for (int r = 0; r < k::kMaxWeightRows; ++r)
        single[a][r] = one_dot(ref, ws.data() + size_t(r) * w_stride, acts.data() + size_t(a) * a_stride, n);
    std::vector<std::pair<const char*, k::DotFn>> flavours{{"avx2", k::dot_iq4_xs_panel_avx2}};
    if (tome::cpu_features().avx512vnni) flavours.push_back({"vnni", k::dot_iq4_xs_panel_vnni});
    for (auto [name, f] : flavours)
      for (int n_w = 1; n_w <= k::kMaxWeightRows; ++n_w)
        for (int n_act = 1; n_act <= k::kMaxPanelActRows; ++n_act) {
          float out[k::kMaxPanelActRows][7];
          f(k::DotTile{ws.data(), w_stride, n_w, acts.data(), a_stride, n_act, n, &out[0][0], 7});
          for (int a = 0; a < n_act; ++a)
            for (int r = 0; r < n_w; ++r)
              if (bits(out[a][r]) != bits(single[a][r]))
                TOME_FAIL(std::string(name) + (extreme ? " extreme" : "") + " tile " + std::to_string(n_w) + "x" +
                          std::to_string(n_act) + " at " + std::to_string(r) + "," + std::to_string(a));
        }
  }
#else
  SKIP("x86-64 only");
#endif
}

TOME_TEST_MAIN()
