// Mat-mat (prefill, tensor cores) against the CPU: dequantize_row(W) . x in
// double, and against the double product of the same values rounded to the mma
// type (f16, bf16 for BF16 weights), which isolates tiling and fragment errors
// from operand rounding.
#include <string>
#include <vector>

#include "common/fp16.h"
#include "cuda/matmul.h"
#include "gpu_test_util.h"
#include "weights_fixture.h"

using namespace tome;
using namespace tome::cuda;
using namespace gpu_test;

namespace {

float round_to(bool bf16, float v) { return bf16 ? bf16_to_fp32(fp32_to_bf16(v)) : fp16_to_fp32(fp32_to_fp16(v)); }

// y (n_tokens, rows) in double.
std::vector<double> reference(const QuantMatrix& m, const std::vector<float>& x, int64_t n_tokens, bool round,
                              bool bf16) {
  std::vector<float> w = m.deq, xs = x;
  if (round) {
    for (auto& v : w) v = round_to(bf16, v);
    for (auto& v : xs) v = round_to(bf16, v);
  }
  std::vector<double> y(size_t(n_tokens * m.rows));
  for (int64_t n = 0; n < n_tokens; ++n)
    for (int64_t r = 0; r < m.rows; ++r) {
      double s = 0;
      for (int64_t c = 0; c < m.cols; ++c) s += double(w[size_t(r * m.cols + c)]) * double(xs[size_t(n * m.cols + c)]);
      y[size_t(n * m.rows + r)] = s;
    }
  return y;
}

void run(GgmlType t, int64_t rows, int64_t cols, int64_t n_tokens) {
  std::mt19937 g(seed() + uint32_t(rows * 131 + cols + n_tokens));
  const QuantMatrix m = random_matrix(t, rows, cols, g);
  const std::vector<float> x = random_activations(size_t(n_tokens * cols), g);
  auto dw = upload(m.bytes);
  auto dx = upload(x);
  DeviceBuffer<float> dy(size_t(n_tokens * rows));
  poison(dy);
  matmul(t, dw.get(), rows, cols, dx.get(), n_tokens, dy.get(), nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> y = download(dy.get(), size_t(n_tokens * rows));
  const bool bf16 = t == GgmlType::BF16;
  const std::string what = std::string(ggml_type_name(uint32_t(t))) + " " + std::to_string(rows) + "x" +
                           std::to_string(cols) + " x " + std::to_string(n_tokens) + " tokens";
  check_close(y, reference(m, x, n_tokens, false, bf16), bf16 ? 2e-2 : 3e-3, what + " vs f32");
  check_close(y, reference(m, x, n_tokens, true, bf16), 1e-4, what + (bf16 ? " vs bf16-rounded" : " vs f16-rounded"));
}

const std::vector<std::tuple<int64_t, int64_t, int64_t>> kShapes32 = {
    {37, 256, 1}, {130, 512, 65}, {128, 1024, 64}, {300, 1024, 200}};
const std::vector<std::tuple<int64_t, int64_t, int64_t>> kShapes256 = {
    {37, 256, 1}, {130, 512, 65}, {300, 1024, 200}};

}  // namespace

TEST(matmul_f16) {
  require_device();
  for (auto [r, c, n] : kShapes32) run(GgmlType::F16, r, c, n);
}

TEST(matmul_bf16) {
  require_device();
  for (auto [r, c, n] : kShapes32) run(GgmlType::BF16, r, c, n);
}

TEST(matmul_q8_0) {
  require_device();
  for (auto [r, c, n] : kShapes32) run(GgmlType::Q8_0, r, c, n);
}

TEST(matmul_q4_k) {
  require_device();
  for (auto [r, c, n] : kShapes256) run(GgmlType::Q4_K, r, c, n);
}

TEST(matmul_q6_k) {
  require_device();
  for (auto [r, c, n] : kShapes256) run(GgmlType::Q6_K, r, c, n);
}

TOME_TEST_MAIN()
