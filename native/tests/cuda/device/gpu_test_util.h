// Shared helpers of the device tests: skip without a device, move data to and
// from the device, poison outputs, and measure errors against CPU oracles.
//
// Every device test calls require_device() first, so on a machine where no CUDA
// device answers every test SKIPs (with the reason) and the executable exits 77:
// ctest shows it as skipped, never as passed.
//
// Error measure ("max_rel_err" in reports): max_i |got_i - ref_i| / max_i |ref_i|,
// the normwise-max relative error; elementwise relative errors would blow up
// where the reference crosses zero. Any NaN or inf in the output fails.
#pragma once
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device_buffer.h"
#include "test_harness.h"

namespace gpu_test {

using tome::cuda::DeviceBuffer;

// SKIPs the calling test when no CUDA device answers, with CUDA's reason.
inline void require_device() {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear it
    SKIP(std::string("no CUDA device: cudaGetDeviceCount: ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) +
         ")");
  }
  if (n <= 0) SKIP("no CUDA device: device count is 0");
}

// Seed for fresh random inputs on every run; TOME_TEST_SEED repeats a run.
inline uint32_t seed() {
  static uint32_t s = [] {
    const char* env = std::getenv("TOME_TEST_SEED");
    const uint32_t v = env ? uint32_t(std::strtoul(env, nullptr, 10)) : std::random_device{}();
    std::printf("     seed %u (TOME_TEST_SEED=%u repeats it)\n", v, v);
    return v;
  }();
  return s;
}

inline std::vector<float> randn(size_t n, std::mt19937& g, float sigma = 1.0f) {
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

template <class T>
DeviceBuffer<T> upload(const std::vector<T>& v) {
  DeviceBuffer<T> d(v.size());
  if (!v.empty()) CUDA_CHECK(cudaMemcpy(d.get(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

template <class T>
std::vector<T> download(const T* d, size_t n) {
  std::vector<T> v(n);
  if (n) CUDA_CHECK(cudaMemcpy(v.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
  return v;
}

// Fills with 0xFF bytes (NaN as f32, -1 as int32): an element the kernel forgets
// to write shows up as NaN.
template <class T>
void poison(DeviceBuffer<T>& d) {
  CUDA_CHECK(cudaMemset(d.get(), 0xFF, d.bytes()));
}

struct Err {
  double max_abs = 0, max_ref = 0;
  bool finite = true;
  size_t worst = 0;
  double rel() const { return max_ref > 0 ? max_abs / max_ref : max_abs; }
};

template <class Ref>
Err compare(const std::vector<float>& got, const std::vector<Ref>& ref) {
  Err e;
  for (size_t i = 0; i < got.size() && i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) e.finite = false;
    const double d = std::fabs(double(got[i]) - double(ref[i]));
    if (d > e.max_abs || std::isnan(d)) {
      e.max_abs = std::isnan(d) ? INFINITY : d;
      e.worst = i;
    }
    e.max_ref = std::max(e.max_ref, std::fabs(double(ref[i])));
  }
  return e;
}

// Fails the test when the error is over tol or the output not finite.
template <class Ref>
void check_close(const std::vector<float>& got, const std::vector<Ref>& ref, double tol, const std::string& what) {
  CHECK_EQ(got.size(), ref.size());
  const Err e = compare(got, ref);
  char buf[320];
  std::snprintf(buf, sizeof buf, "%s: max_rel_err %.3g (tol %.3g), worst at %zu: got %.8g ref %.8g%s", what.c_str(),
                e.rel(), tol, e.worst, double(got[e.worst]), double(ref[e.worst]), e.finite ? "" : ", NOT FINITE");
  std::printf("     %s\n", buf);
  if (!e.finite || !(e.rel() <= tol)) TOME_FAIL(buf);
}

}  // namespace gpu_test
