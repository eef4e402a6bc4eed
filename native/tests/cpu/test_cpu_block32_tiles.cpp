// The 4-token (prefill) tiles of the Q8_0 / Q4_0 / IQ4_NL / MXFP4 kernels in ggml's
// vec_dot order (cpu/dot_q32_gemm_impl.h): every SIMD build this CPU runs gives,
// for every tile shape, exactly the scalar kernel's 1 x 1 results, on random rows
// and on levels at the ends of their ranges (Q8_0 -128 and 127, 4-bit 0 and 15,
// activations at -127 and 127), which stress the kernels' sign and bias tricks.
// (The repacked orders: test_cpu_vec_dot.cpp's repack_dots_bit_exact_with_scalar.)
#include <cstring>

#include "cpu_test_util.h"
#include "test_harness.h"

using namespace cpu_test;
namespace k = tome::kernels;

namespace {

// Rows of n elements at a stride with some slack (rows need not be adjacent).
struct TileRows {
  std::vector<uint8_t> w, a;
  size_t w_stride, a_stride;
};

TileRows tile_rows(GgmlType t, int64_t n, bool extreme) {
  const GgmlType at = tome::vec_dot_type(t);
  TileRows tr;
  tr.w_stride = tome::type_row_bytes(t, n) + 24;
  tr.a_stride = tome::type_row_bytes(at, n) + 40;
  tr.w.resize(tr.w_stride * k::kMaxWeightRows);
  tr.a.resize(tr.a_stride * k::kMaxActRows);
  std::mt19937 rng(11 + uint32_t(extreme));
  for (int r = 0; r < k::kMaxWeightRows; ++r) {
    std::vector<uint8_t> w = quantized(t, random_row(n, 40 + uint32_t(r), 0.05f));
    if (extreme) {  // every level byte at an end of its range; scales kept
      const size_t bb = tome::type_row_bytes(t, tome::type_block_size(t));
      const uint8_t lo = t == GgmlType::Q8_0 ? 0x80 : 0x00, hi = t == GgmlType::Q8_0 ? 0x7f : 0xff;
      const size_t first_level = t == GgmlType::MXFP4 ? 1 : 2;  // past the scale (MXFP4: one byte)
      for (size_t off = 0; off < w.size(); off += bb)
        for (size_t b = first_level; b < bb; ++b) w[off + b] = rng() % 2 ? hi : lo;
    }
    std::memcpy(tr.w.data() + size_t(r) * tr.w_stride, w.data(), w.size());
  }
  for (int r = 0; r < k::kMaxActRows; ++r) {
    std::vector<float> x = random_row(n, 300 + uint32_t(r));
    if (extreme)
      for (float& v : x) v = rng() % 2 ? 1.0f : -1.0f;
    const std::vector<uint8_t> a = activation(at, x);
    std::memcpy(tr.a.data() + size_t(r) * tr.a_stride, a.data(), a.size());
  }
  return tr;
}

}  // namespace

TEST(block32_tiles_bit_exact_with_scalar) {
  if (!have_avx2()) SKIP("no AVX2/FMA/F16C on this CPU");
  // 1, 2 and 3 blocks: the 4-token kernels' first and last blocks (their scale
  // products are formed a block ahead).
  for (int64_t n : {32, 64, 96, 1024}) {
    for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::IQ4_NL, GgmlType::MXFP4}) {
      for (int extreme = 0; extreme < 2; ++extreme) {
        const TileRows tr = tile_rows(t, n, extreme != 0);
        float single[k::kMaxActRows][k::kMaxWeightRows];
        for (int a = 0; a < k::kMaxActRows; ++a)
          for (int r = 0; r < k::kMaxWeightRows; ++r)
            k::scalar_dot(t)(k::DotTile{tr.w.data() + size_t(r) * tr.w_stride, 0, 1,
                                        tr.a.data() + size_t(a) * tr.a_stride, 0, 1, n, &single[a][r], 0});
        const k::DotFn flavours[3] = {k::avx2_dot(t), k::vnni_dot(t), k::avxvnni_dot(t)};
        for (int f = 0; f < 3; ++f) {
          if (!flavours[f]) continue;
          for (int n_w = 1; n_w <= k::kMaxWeightRows; ++n_w)
            for (int n_act = 1; n_act <= k::kMaxActRows; ++n_act) {
              float out[k::kMaxActRows][7];  // out_stride 7: outputs need not be packed
              flavours[f](
                  k::DotTile{tr.w.data(), tr.w_stride, n_w, tr.a.data(), tr.a_stride, n_act, n, &out[0][0], 7});
              for (int a = 0; a < n_act; ++a)
                for (int r = 0; r < n_w; ++r)
                  if (bits(out[a][r]) != bits(single[a][r]))
                    TOME_FAIL(tname(t) + (f == 0 ? " avx2" : f == 1 ? " vnni" : " avxvnni") + (extreme ? " extreme" : "") + " n " +
                              std::to_string(n) + " tile " + std::to_string(n_w) + "x" + std::to_string(n_act) +
                              " at " + std::to_string(r) + "," + std::to_string(a) + ": " +
                              std::to_string(out[a][r]) + " vs " + std::to_string(single[a][r]));
            }
        }
      }
    }
  }
}

TOME_TEST_MAIN()
