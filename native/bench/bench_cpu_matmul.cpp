// Standalone benchmark of the CPU kernels (not a test; nothing is asserted).
//   bench_cpu_matmul [rows cols [TYPE...]]   default 2048 2048, all types
// For each weight type: decode matvec (1 token) with 1 and 2 threads, reported as
// GB/s of weight bytes streamed, and prefill (64 tokens) as GFLOP/s; plus the
// thread pool's cost per empty run. 1-thread figures use thread CPU time, 2-thread
// figures wall time. TOME_FORCE_SCALAR=1 measures the scalar kernels. Matrices are held as
// the engine holds them: rows interleaved where kernels::interleaves_rows (Q4_0, IQ4_NL, MXFP4).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/cpu_features.h"
#include "cpu/kernels.h"
#include "cpu/matmul.h"
#include "cpu/quant.h"
#include "cpu/thread_pool.h"

using tome::GgmlType;

namespace {

double wall_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
// CPU time of the calling thread: single-thread numbers that a busy shared
// machine (other processes preempting us) does not distort.
double thread_cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Repeat until a batch takes ~0.1 s, report the best of 3 batches.
template <class Fn>
double seconds_per_call(Fn fn, double (*now_s)() = wall_s) {
  fn();  // warm up
  int reps = 1;
  for (;;) {
    const double t0 = now_s();
    for (int i = 0; i < reps; ++i) fn();
    const double dt = now_s() - t0;
    if (dt > 0.1) break;
    reps *= 2;
  }
  double best = 1e30;
  for (int b = 0; b < 3; ++b) {
    const double t0 = now_s();
    for (int i = 0; i < reps; ++i) fn();
    best = std::min(best, (now_s() - t0) / reps);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 2 ? std::atoll(argv[1]) : 2048, cols = argc > 2 ? std::atoll(argv[2]) : 2048;
  const char* kernels = !tome::simd_enabled()                ? "scalar"
                        : tome::cpu_features().avx512vnni ? "avx2 (+avx512-vnni where built)"
                        : tome::cpu_features().avxvnni    ? "avx2 (+avx-vnni where built)"
                                                          : "avx2";
  std::printf("kernels: %s; matrix %lld x %lld\n", kernels, (long long)rows, (long long)cols);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  std::vector<float> row(static_cast<size_t>(cols)), x(static_cast<size_t>(cols) * 64), y(static_cast<size_t>(rows) * 64);
  for (auto& v : x) v = nd(rng) * 20.0f;
  std::vector<uint8_t> scratch;
  tome::ThreadPool pool1(1), pool2(2);

  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::Q4_K, GgmlType::Q5_K,
                     GgmlType::Q6_K, GgmlType::Q3_K, GgmlType::Q2_K, GgmlType::IQ4_XS, GgmlType::F16, GgmlType::BF16,
                     GgmlType::F32}) {
    bool wanted = argc <= 3;
    for (int a = 3; a < argc; ++a) wanted |= std::strcmp(argv[a], tome::ggml_type_name(uint32_t(t))) == 0;
    if (!wanted) continue;
    const size_t rb = tome::type_row_bytes(t, cols);
    std::vector<uint8_t> w(rb * size_t(rows));
    for (int64_t r = 0; r < rows; ++r) {
      for (auto& v : row) v = nd(rng);
      tome::quantize_row(t, row.data(), w.data() + size_t(r) * rb, cols);
    }
    tome::WeightMatrix W{t, rows, cols, w.data(), rb};
    std::vector<uint8_t> interleaved;  // the engine's layout where it interleaves (weight_interleave.h)
    if (tome::kernels::interleaves_rows(t, rows)) {
      interleaved.resize(w.size());
      W = tome::interleave_rows(W, interleaved.data(), &pool2);
      std::vector<uint8_t>().swap(w);
    }
    const double bytes = double(rb) * double(rows);
    const double s1 = seconds_per_call([&] { tome::matmul(W, x.data(), 1, y.data(), pool1, scratch); }, thread_cpu_s);
    const double s2 = seconds_per_call([&] { tome::matmul(W, x.data(), 1, y.data(), pool2, scratch); });
    const double p1 = seconds_per_call([&] { tome::matmul(W, x.data(), 64, y.data(), pool1, scratch); }, thread_cpu_s);
    const double p2 = seconds_per_call([&] { tome::matmul(W, x.data(), 64, y.data(), pool2, scratch); });
    const double flop = 2.0 * double(rows) * double(cols) * 64;
    std::printf("%-6s %7.2f MB  matvec: 1T %6.1f us %5.1f GB/s | 2T %6.1f us %5.1f GB/s   prefill64: 1T %5.1f | 2T %5.1f GFLOP/s\n",
                tome::ggml_type_name(uint32_t(t)), bytes / 1e6, s1 * 1e6, bytes / s1 / 1e9, s2 * 1e6,
                bytes / s2 / 1e9, flop / p1 / 1e9, flop / p2 / 1e9);
  }
  const double empty = seconds_per_call([&] { pool2.run([](int) {}); });
  std::printf("thread pool (2 threads): %.2f us per empty run\n", empty * 1e6);
  return 0;
}
