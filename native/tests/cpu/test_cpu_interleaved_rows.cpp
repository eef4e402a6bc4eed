// Matrices stored with their rows interleaved (matmul.h: interleave_rows): the
// layout is the documented one, a row looks up as the row-major one, and every
// product equals, bit for bit, the same product over the row-major matrix (itself held to a loop of single dots by
// test_cpu_matmul) for every token count (decode, the 4-token gemm tiles and the
// tails between them), thread count, kernel flavour and order. Bad layouts are
// refused with BAD_ARGUMENT.
#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "cpu/kernels.h"
#include "cpu/matmul.h"
#include "cpu/thread_pool.h"
#include "cpu_test_util.h"
#include "test_harness.h"

using namespace cpu_test;
namespace k = tome::kernels;

namespace {

constexpr GgmlType kTypes[] = {GgmlType::Q4_0, GgmlType::IQ4_NL, GgmlType::MXFP4};

struct Pair {
  std::vector<uint8_t> rows_bytes, interleaved_bytes;
  tome::WeightMatrix rows, interleaved;
};

Pair make_pair(GgmlType t, int64_t rows, int64_t cols, uint32_t seed, tome::ThreadPool* pool = nullptr) {
  Pair p;
  p.rows_bytes = random_weights(t, rows, cols, seed);
  p.rows = tome::WeightMatrix{t, rows, cols, p.rows_bytes.data(), tome::type_row_bytes(t, cols)};
  p.interleaved_bytes.assign(p.rows_bytes.size(), 0);
  p.interleaved = tome::interleave_rows(p.rows, p.interleaved_bytes.data(), pool);
  return p;
}

}  // namespace

TEST(interleaved_layout_puts_block_i_of_a_group_side_by_side) {
  if (!k::llama_repacks(GgmlType::Q4_0, 8)) SKIP("llama.cpp does not repack on this CPU: no interleaved layout");
  tome::ThreadPool pool(3);  // the copy's groups split over threads, or not
  for (GgmlType t : kTypes)
    for (tome::ThreadPool* on : {static_cast<tome::ThreadPool*>(nullptr), &pool}) {
      const Pair p = make_pair(t, 40, 96, 5, on);
      CHECK_EQ(p.interleaved.interleave, k::kInterleaveRows);
      CHECK(p.interleaved.data == p.interleaved_bytes.data());
      const size_t bb = size_t(tome::type_row_bytes(t, 32)), nb = 3;
      for (size_t r = 0; r < 40; ++r)
        for (size_t i = 0; i < nb; ++i) {
          const uint8_t* want = p.rows_bytes.data() + r * nb * bb + i * bb;
          const uint8_t* got = p.interleaved_bytes.data() + (r / 8) * 8 * nb * bb + (i * 8 + r % 8) * bb;
          CHECK(std::memcmp(want, got, bb) == 0);
        }
    }
}

TEST(interleaved_products_equal_row_major_ones) {
  if (!k::llama_repacks(GgmlType::Q4_0, 8)) SKIP("llama.cpp does not repack on this CPU: no interleaved layout");
  struct Shape { int64_t rows, cols; };
  // 8: one group (inline); 296 x 512 crosses the parallel threshold with chunks of many groups
  const Shape shapes[] = {{8, 64}, {40, 96}, {296, 512}};
  tome::ThreadPool pools[3] = {tome::ThreadPool(1), tome::ThreadPool(2), tome::ThreadPool(3)};
  for (bool force_scalar : {false, true}) {
    tome::set_force_scalar(force_scalar);
    for (GgmlType t : kTypes)
      for (int s = 0; s < 3; ++s) {
        const Pair p = make_pair(t, shapes[s].rows, shapes[s].cols, uint32_t(11 + s));
        for (int64_t n_tokens : {1, 2, 3, 4, 5, 8, 11})
          for (tome::MatmulOrder order : {tome::MatmulOrder::kMulMat, tome::MatmulOrder::kMulMatId}) {
            const std::vector<float> x = random_row(n_tokens * p.rows.cols, 31 + uint32_t(n_tokens));
            std::vector<float> want(size_t(n_tokens * p.rows.rows), -1.0f);
            std::vector<uint8_t> scratch;
            tome::matmul(p.rows, x.data(), n_tokens, want.data(), pools[0], scratch, order);
            for (tome::ThreadPool& pool : pools) {
              std::vector<float> y(want.size(), -2.0f);
              tome::matmul(p.interleaved, x.data(), n_tokens, y.data(), pool, scratch, order);
              for (size_t i = 0; i < y.size(); ++i)
                if (bits(y[i]) != bits(want[i]))
                  TOME_FAIL(tname(t) + " " + std::to_string(p.rows.rows) + "x" + std::to_string(p.rows.cols) +
                            " tokens " + std::to_string(n_tokens) + " threads " + std::to_string(pool.size()) +
                            (order == tome::MatmulOrder::kMulMat ? " mul_mat" : " mul_mat_id") + " index " +
                            std::to_string(i) + (force_scalar ? " scalar" : " simd"));
            }
          }
      }
  }
  tome::set_force_scalar(false);
}

// A row looked up (an embedding: dequantize_matrix_row) is the same in either layout.
TEST(interleaved_rows_look_up_as_row_major_ones) {
  if (!k::llama_repacks(GgmlType::Q4_0, 8)) SKIP("llama.cpp does not repack on this CPU: no interleaved layout");
  for (GgmlType t : kTypes) {
    const Pair p = make_pair(t, 24, 128, 9);
    std::vector<float> want(128), got(128);
    for (int64_t r = 0; r < 24; ++r) {
      tome::dequantize_matrix_row(p.rows, r, want.data());
      std::fill(got.begin(), got.end(), -1.0f);
      tome::dequantize_matrix_row(p.interleaved, r, got.data());
      for (size_t j = 0; j < want.size(); ++j)
        if (bits(got[j]) != bits(want[j]))
          TOME_FAIL(tname(t) + " row " + std::to_string(r) + " element " + std::to_string(j));
    }
    CHECK_EQ(error_code_of([&] { tome::dequantize_matrix_row(p.interleaved, 24, got.data()); }), "BAD_ARGUMENT");
    CHECK_EQ(error_code_of([&] { tome::dequantize_matrix_row(p.rows, -1, got.data()); }), "BAD_ARGUMENT");
  }
}

// matmul_multi mixes interleaved and row-major matrices of one input.
TEST(interleaved_and_row_major_matrices_share_a_run) {
  if (!k::llama_repacks(GgmlType::Q4_0, 8)) SKIP("llama.cpp does not repack on this CPU: no interleaved layout");
  tome::ThreadPool pool(2);
  const Pair a = make_pair(GgmlType::Q4_0, 256, 512, 3), b = make_pair(GgmlType::MXFP4, 64, 512, 4);
  const std::vector<uint8_t> q8 = random_weights(GgmlType::Q8_0, 72, 512, 5);
  const tome::WeightMatrix c{GgmlType::Q8_0, 72, 512, q8.data(), tome::type_row_bytes(GgmlType::Q8_0, 512)};
  for (int64_t n_tokens : {1, 6}) {
    const std::vector<float> x = random_row(n_tokens * 512, 8);
    std::vector<float> ya(size_t(n_tokens * 256)), yb(size_t(n_tokens * 64)), yc(size_t(n_tokens * 72));
    std::vector<float> wa(ya.size()), wb(yb.size()), wc(yc.size());
    std::vector<uint8_t> scratch;
    const tome::MatmulTarget targets[3] = {{&a.interleaved, ya.data()}, {&c, yc.data()}, {&b.interleaved, yb.data()}};
    tome::matmul_multi(targets, 3, x.data(), n_tokens, pool, scratch);
    tome::matmul(a.rows, x.data(), n_tokens, wa.data(), pool, scratch);
    tome::matmul(b.rows, x.data(), n_tokens, wb.data(), pool, scratch);
    tome::matmul(c, x.data(), n_tokens, wc.data(), pool, scratch);
    for (size_t i = 0; i < ya.size(); ++i) CHECK_EQ(bits(ya[i]), bits(wa[i]));
    for (size_t i = 0; i < yb.size(); ++i) CHECK_EQ(bits(yb[i]), bits(wb[i]));
    for (size_t i = 0; i < yc.size(); ++i) CHECK_EQ(bits(yc[i]), bits(wc[i]));
  }
}

TEST(bad_interleaved_layouts_are_refused) {
  tome::ThreadPool pool(1);
  std::vector<uint8_t> scratch;
  std::vector<float> x(512), y(64);
  const std::vector<uint8_t> q8 = random_weights(GgmlType::Q8_0, 16, 64, 1);
  const std::vector<uint8_t> q4 = random_weights(GgmlType::Q4_0, 12, 64, 2);
  std::vector<uint8_t> dst(q8.size());
  const tome::WeightMatrix q8m{GgmlType::Q8_0, 16, 64, q8.data(), tome::type_row_bytes(GgmlType::Q8_0, 64)};
  const tome::WeightMatrix q4_12{GgmlType::Q4_0, 12, 64, q4.data(), tome::type_row_bytes(GgmlType::Q4_0, 64)};
  // types and row counts whose kernels do not read the layout
  CHECK_EQ(error_code_of([&] { tome::interleave_rows(q8m, dst.data()); }), "BAD_ARGUMENT");
  CHECK_EQ(error_code_of([&] { tome::interleave_rows(q4_12, dst.data()); }), "BAD_ARGUMENT");
  tome::WeightMatrix odd = q8m;
  odd.interleave = k::kInterleaveRows;
  CHECK_EQ(error_code_of([&] { tome::matmul(odd, x.data(), 1, y.data(), pool, scratch); }), "BAD_ARGUMENT");
  odd = q4_12;
  odd.interleave = k::kInterleaveRows;
  CHECK_EQ(error_code_of([&] { tome::matmul(odd, x.data(), 1, y.data(), pool, scratch); }), "BAD_ARGUMENT");
  if (!k::llama_repacks(GgmlType::Q4_0, 8)) return;
  const std::vector<uint8_t> q4b = random_weights(GgmlType::Q4_0, 16, 64, 3);
  const tome::WeightMatrix q4m{GgmlType::Q4_0, 16, 64, q4b.data(), tome::type_row_bytes(GgmlType::Q4_0, 64)};
  const tome::WeightMatrix done = tome::interleave_rows(q4m, dst.data());
  std::vector<uint8_t> again(q4b.size());
  CHECK_EQ(error_code_of([&] { tome::interleave_rows(done, again.data()); }), "BAD_ARGUMENT");  // already interleaved
  tome::WeightMatrix three = q4m;
  three.interleave = 3;
  CHECK_EQ(error_code_of([&] { tome::matmul(three, x.data(), 1, y.data(), pool, scratch); }), "BAD_ARGUMENT");
}

TOME_TEST_MAIN()
