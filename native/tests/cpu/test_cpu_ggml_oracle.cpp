// tome's kernels against ggml itself: the libggml-base / libggml-cpu-<variant>
// shared libraries that node-llama-cpp ships (the llama.cpp build that serves as
// the engine's oracle) are loaded with dlopen and called on the same data.
//   dequantize_row         == ggml to_float                     (bit-exact)
//   quantize_row Q8_0/Q4_0 == ggml_quantize_chunk (the *_ref)    (byte-exact)
//   quantize_row K/IQ4_NL  == ggml_quantize_chunk                (byte-exact too)
//   convert_activation_row == ggml CPU from_float                (byte-exact)
//   vec_dot                == ggml CPU vec_dot                   (bit-exact where the
//                             summation order is the same, else within 2e-6 rel.)
//   matmul                 == llama.cpp's mul_mat on ggml's CPU backend, weights in a
//                             plain or a repack buffer (bit-exact where kernels.h says
//                             tome follows that path's order, else within 2e-6 rel.)
// Skips when the libraries are absent ($TOME_GGML_LIB_DIR overrides the folder)
// or the CPU cannot run a variant.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "cpu/matmul.h"
#include "cpu/thread_pool.h"
#include "cpu_test_util.h"
#include "ggml_library.h"
#include "test_harness.h"

using namespace cpu_test;

#ifdef TOME_ORACLE_POSSIBLE
namespace {

// Mirrors of ggml.h / ggml-cpu.h (this release) for the few entry points used.
typedef void (*to_float_t)(const void* x, float* y, int64_t k);
typedef void (*from_float_t)(const float* x, void* y, int64_t k);
typedef void (*vec_dot_t)(int n, float* s, size_t bs, const void* x, size_t bx, const void* y, size_t by, int nrc);
struct ggml_type_traits {
  const char* type_name;
  int64_t blck_size;
  int64_t blck_size_interleave;
  size_t type_size;
  bool is_quantized;
  to_float_t to_float;
  from_float_t from_float_ref;
};
struct ggml_type_traits_cpu {
  from_float_t from_float;
  vec_dot_t vec_dot;
  int vec_dot_type;
  int64_t nrows;
};

struct Ggml {
  const ggml_type_traits* (*traits)(int) = nullptr;
  size_t (*quantize_chunk)(int, const float*, void*, int64_t, int64_t, int64_t, const float*) = nullptr;
  const ggml_type_traits_cpu* (*cpu_traits)(int) = nullptr;
  ggml_library::GraphApi graph{};
  bool have_graph = false;
  std::string variant;
};

bool cpu_can_run(const std::string& variant) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi2");
  if (variant == "haswell") return avx2;
  // alderlake (AVX2 + AVX-VNNI, haswell's sum orders with vpdpbusd): tome's AVX2 orders
  // in force (a CPU without AVX-512, or TOME_CPU_CAP), AVX-VNNI kernels where not capped off
  if (variant == "alderlake") return avx2 && __builtin_cpu_supports("avxvnni") && !tome::cpu_features().avx512;
  // zen4: also tome's AVX-512 orders in force (not under TOME_CPU_CAP=avx2, whose builds
  // follow the haswell variant)
  if (variant == "zen4")
    return avx2 && tome::cpu_features().avx512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi") &&
           __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bf16");
  return false;
}

// Loads base + one CPU variant; SKIPs the test when that is not possible here.
Ggml load(const std::string& variant) {
  if (!cpu_can_run(variant)) SKIP("this CPU cannot run ggml's " + variant + " variant (or TOME_CPU_CAP rules it out)");
  const std::string dir = ggml_library::lib_dir();
  void* base = dlopen((dir + "/libggml-base.so").c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!base) SKIP("no ggml libraries at " + dir + " (npm install brings node-llama-cpp)");
  void* cpu = dlopen((dir + "/libggml-cpu-" + variant + ".so").c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!cpu) SKIP("cannot load libggml-cpu-" + variant + ".so: " + dlerror());
  Ggml g;
  g.variant = variant;
  g.traits = reinterpret_cast<const ggml_type_traits* (*)(int)>(dlsym(base, "ggml_get_type_traits"));
  g.quantize_chunk = reinterpret_cast<size_t (*)(int, const float*, void*, int64_t, int64_t, int64_t, const float*)>(
      dlsym(base, "ggml_quantize_chunk"));
  g.cpu_traits = reinterpret_cast<const ggml_type_traits_cpu* (*)(int)>(dlsym(cpu, "ggml_get_type_traits_cpu"));
  auto cpu_init = reinterpret_cast<void (*)()>(dlsym(cpu, "ggml_cpu_init"));
  if (!g.traits || !g.quantize_chunk || !g.cpu_traits || !cpu_init) TOME_FAIL("ggml entry points missing");
  cpu_init();
  g.have_graph = ggml_library::bind_graph_api(g.graph, base, cpu) && g.graph.repack_buffer_type;
  return g;
}

// Bytes of a plausible row: random, with every f16 scale field set to a finite value
// (MXFP4: every exponent byte 0 .. 255 in turn, subnormal scales and E8M0's NaN
// code included).
std::vector<uint8_t> random_blocks(GgmlType t, int64_t n, uint32_t seed) {
  std::vector<uint8_t> b(tome::type_row_bytes(t, n));
  std::mt19937 rng(seed);
  for (auto& x : b) x = uint8_t(rng());
  const size_t bb = tome::type_row_bytes(t, tome::type_block_size(t));
  auto half_at = [&](size_t off) {  // |d| in [2^-10, 2^1)
    const uint16_t h = uint16_t(((5 + rng() % 11) << 10) | (rng() % 1024) | (rng() % 2 ? 0x8000 : 0));
    b[off] = uint8_t(h & 0xff);
    b[off + 1] = uint8_t(h >> 8);
  };
  if (t == GgmlType::F16) {
    for (size_t off = 0; off < b.size(); off += 2) half_at(off);
  } else if (t == GgmlType::MXFP4) {
    for (size_t off = 0, i = 0; off < b.size(); off += bb, ++i) b[off] = uint8_t(i + seed);
  } else if (t == GgmlType::BF16) {
    for (size_t off = 0; off < b.size(); off += 2) b[off + 1] = uint8_t((b[off + 1] & 0x80) | (0x38 + rng() % 8));
  } else {
    for (size_t off = 0; off < b.size(); off += bb) {
      if (t == GgmlType::Q6_K) half_at(off + 208);
      else if (t == GgmlType::Q2_K) {
        half_at(off + 80);
        half_at(off + 82);
      }
      else if (t == GgmlType::Q3_K) half_at(off + 108);
      else half_at(off);
      if (t == GgmlType::Q4_K || t == GgmlType::Q5_K || t == GgmlType::Q4_1 || t == GgmlType::Q5_1) half_at(off + 2);
    }
  }
  return b;
}

const GgmlType kWeightTypes[] = {GgmlType::F16,  GgmlType::BF16,   GgmlType::Q8_0,  GgmlType::Q4_0,   GgmlType::Q5_0,
                                 GgmlType::Q4_1, GgmlType::Q5_1,   GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::IQ4_XS,
                                 GgmlType::Q2_K, GgmlType::Q3_K,   GgmlType::Q4_K,  GgmlType::Q5_K,   GgmlType::Q6_K};

void check_dequantize(const Ggml& g) {
  for (GgmlType t : kWeightTypes) {
    const int64_t n = 4096;
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      const std::vector<uint8_t> q = random_blocks(t, n, seed);
      std::vector<float> want(static_cast<size_t>(n));
      g.traits(int(t))->to_float(q.data(), want.data(), n);
      const std::vector<float> got = dequantized(t, q.data(), n);
      for (int64_t i = 0; i < n; ++i)
        if (bits(got[size_t(i)]) != bits(want[size_t(i)]))
          TOME_FAIL(tname(t) + " dequantize differs from ggml at " + std::to_string(i) + ": " +
                    std::to_string(got[size_t(i)]) + " vs " + std::to_string(want[size_t(i)]));
    }
  }
}

double rel_rms_error(GgmlType t, const std::vector<float>& x, const void* q) {
  const std::vector<float> y = dequantized(t, q, int64_t(x.size()));
  double e = 0, s = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    e += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
    s += double(x[i]) * x[i];
  }
  return std::sqrt(e / s);
}

void check_quantize(const Ggml& g) {
  for (GgmlType t : kWeightTypes) {
    const int64_t n = 4096;
    for (uint32_t seed = 1; seed <= 6; ++seed) {
      // N(0,1), N(0,0.02), all positive, zero and constant blocks, large values
      std::vector<float> x = random_row(n, seed, seed == 2 ? 0.02f : seed == 6 ? 300.0f : 1.0f);
      if (seed == 4)
        for (float& v : x) v = std::fabs(v) + 0.1f;
      if (seed == 5) {
        std::fill(x.begin(), x.begin() + 512, 0.0f);
        std::fill(x.begin() + 512, x.begin() + 1024, -0.25f);
      }
      std::vector<uint8_t> want(tome::type_row_bytes(t, n));
      g.quantize_chunk(int(t), x.data(), want.data(), 0, 1, n, nullptr);
      const std::vector<uint8_t> got = quantized(t, x);
      size_t same = 0;
      for (size_t i = 0; i < got.size(); ++i) same += got[i] == want[i];
      const double mine = rel_rms_error(t, x, got.data()), theirs = rel_rms_error(t, x, want.data());
      if (std::getenv("TOME_TEST_VERBOSE"))
        std::printf("  %s seed %u: rel rms %.5f (ggml %.5f), %.1f%% bytes equal\n", tname(t).c_str(), seed, mine,
                    theirs, 100.0 * double(same) / double(got.size()));
      if (got != want)
        TOME_FAIL(tname(t) + " quantize_row bytes differ from ggml_quantize_chunk (rel rms " + std::to_string(mine) +
                  " vs " + std::to_string(theirs) + ")");
    }
  }
}

void check_activations(const Ggml& g) {
  for (GgmlType at : {GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q8_1, GgmlType::Q8_K}) {
    for (bool simd : {false, true}) {
      tome::set_force_scalar(!simd);
      for (uint32_t seed = 1; seed <= 6; ++seed) {
        const int64_t n = 4096;
        std::vector<float> x = random_row(n, seed, seed % 2 ? 1.0f : 30.0f);
        if (seed == 3)  // rounding ties after scaling
          for (int64_t i = 0; i < n; ++i) x[size_t(i)] = float(int(i % 255) - 127) * (i % 2 ? 0.5f : 1.0f);
        std::vector<uint8_t> want(tome::type_row_bytes(at, n));
        g.cpu_traits(int(at))->from_float(x.data(), want.data(), n);
        if (activation(at, x) != want)
          TOME_FAIL(tname(at) + (simd ? " simd" : " scalar") + " activation bytes differ from ggml " + g.variant);
      }
    }
  }
  tome::set_force_scalar(false);
}

// Bit-exact expectations per weight type (else: 2e-6 of sum |w a|). Q4_K follows
// ggml's repacked gemv instead (what llama.cpp runs for it), so its vec_dot differs.
bool dot_exact_expected(GgmlType t, const std::string& variant) {
  (void)variant;
  return t == GgmlType::Q8_0 || t == GgmlType::Q4_0 || t == GgmlType::Q5_0 || t == GgmlType::Q4_1 ||
         t == GgmlType::Q5_1 || t == GgmlType::Q3_K || t == GgmlType::Q5_K || t == GgmlType::Q6_K ||
         t == GgmlType::IQ4_XS || t == GgmlType::Q2_K;
}

void check_vec_dot(const Ggml& g) {
  for (GgmlType t : kWeightTypes) {
    const GgmlType at = tome::vec_dot_type(t);
    CHECK_EQ(g.cpu_traits(int(t))->vec_dot_type, int(at));
    int exact = 0, total = 0;
    double worst = 0;
    for (int64_t n : {256, 1024, 4096}) {
      for (uint32_t seed = 1; seed <= 5; ++seed) {
        const std::vector<uint8_t> w = quantized(t, random_row(n, seed * 3, 0.05f));
        const std::vector<uint8_t> a = activation(at, random_row(n, seed * 3 + 1));
        float want = 0;
        g.cpu_traits(int(t))->vec_dot(int(n), &want, 0, w.data(), 0, a.data(), 0, 1);
        const float got = tome::vec_dot(t, w.data(), a.data(), n);
        double mag;
        reference_dot(t, w.data(), a.data(), n, &mag);
        ++total;
        exact += bits(got) == bits(want);
        worst = std::max(worst, std::fabs(double(got) - want) / mag);
        if (dot_exact_expected(t, g.variant) && bits(got) != bits(want))
          TOME_FAIL(tname(t) + " vec_dot not bit-exact with ggml " + g.variant + ": " + std::to_string(got) + " vs " +
                    std::to_string(want));
        if (!(std::fabs(double(got) - want) <= 2e-6 * mag))
          TOME_FAIL(tname(t) + " vec_dot far from ggml " + g.variant + ": " + std::to_string(got) + " vs " +
                    std::to_string(want));
      }
    }
    if (std::getenv("TOME_TEST_VERBOSE"))
      std::printf("  %s vec_dot vs ggml %s: %d/%d bit-exact, worst diff %.2e of sum|w a|\n", tname(t).c_str(),
                  g.variant.c_str(), exact, total, worst);
  }
}

// F32 x F32 (a mixture's router, F32 output matrices, a decode step's products): ggml's
// vec_dot_f32 of the build, bit for bit (16 lanes on zen4, 8 on haswell; kernels.h), the
// tails past whole steps included, in both flavours.
void check_vec_dot_f32(const Ggml& g) {
  for (bool simd : {false, true}) {
    tome::set_force_scalar(!simd);
    for (int64_t n : {7, 64, 100, 256, 1000, 2880, 4096}) {
      for (uint32_t seed = 1; seed <= 4; ++seed) {
        const std::vector<float> w = random_row(n, seed * 5, 0.05f), a = random_row(n, seed * 5 + 1);
        float want = 0;
        g.cpu_traits(int(GgmlType::F32))->vec_dot(int(n), &want, 0, w.data(), 0, a.data(), 0, 1);
        const float got = tome::vec_dot(GgmlType::F32, w.data(), a.data(), n);
        if (bits(got) != bits(want))
          TOME_FAIL(std::string("F32 vec_dot ") + (simd ? "simd" : "scalar") + " n " + std::to_string(n) +
                    " not bit-exact with ggml " + g.variant + ": " + std::to_string(got) + " vs " + std::to_string(want));
      }
    }
  }
  tome::set_force_scalar(false);
}

// y (n_tokens, rows) = ggml_mul_mat(W, x) on ggml's CPU backend, one thread, with
// W in the repack buffer (interleaved kernels, as llama.cpp loads weights on an
// AVX2 CPU by default) or in a plain CPU buffer (vec_dot / llamafile sgemm).
std::vector<float> ggml_matmul(const Ggml& g, GgmlType t, const std::vector<uint8_t>& w, int64_t rows, int64_t cols,
                               const std::vector<float>& x, int64_t n_tokens, bool repack) {
  const ggml_library::GraphApi& a = g.graph;
  void* wctx = a.init({1 << 16, nullptr, true});
  void* W = a.new_tensor_2d(wctx, int(t), cols, rows);
  void* wbuf = a.alloc_ctx_tensors_from_buft(wctx, repack ? a.repack_buffer_type() : a.cpu_buffer_type());
  a.tensor_set(W, w.data(), 0, w.size());
  void* ctx = a.init({1 << 20, nullptr, true});
  void* X = a.new_tensor_2d(ctx, 0, cols, n_tokens);
  void* Y = a.mul_mat(ctx, W, X);
  void* graph = a.new_graph(ctx);
  a.build_forward_expand(graph, Y);
  void* buf = a.alloc_ctx_tensors_from_buft(ctx, a.cpu_buffer_type());
  a.tensor_set(X, x.data(), 0, x.size() * sizeof(float));
  void* backend = a.cpu_backend_init();
  a.cpu_set_n_threads(backend, 1);
  const int status = a.graph_compute(backend, graph);
  std::vector<float> y(static_cast<size_t>(rows * n_tokens));
  a.tensor_get(Y, y.data(), 0, y.size() * sizeof(float));
  a.backend_free(backend);
  a.buffer_free(buf);
  a.buffer_free(wbuf);
  a.free_ctx(ctx);
  a.free_ctx(wctx);
  if (status != 0) TOME_FAIL("ggml graph compute failed");
  return y;
}

// Where tome follows llama.cpp's mul_mat bit for bit (see cpu/kernels.h): Q8_0,
// Q5_0, Q4_1, Q5_1, Q3_K, Q5_K, Q6_K always; Q4_0 in a plain buffer (vec_dot / llamafile sgemm); Q4_0,
// IQ4_NL, MXFP4 and Q4_K in the repack buffer (gemv for decode and the n % 4 tail tokens,
// gemm for groups of 4), which tome follows wherever llama.cpp would repack.
bool matmul_exact_expected(GgmlType t, bool repack, int64_t n_tokens) {
  (void)n_tokens;
  if (t == GgmlType::Q8_0 || t == GgmlType::Q5_0 || t == GgmlType::Q4_1 || t == GgmlType::Q5_1 ||
      t == GgmlType::Q3_K || t == GgmlType::Q5_K || t == GgmlType::Q6_K || t == GgmlType::IQ4_XS || t == GgmlType::Q2_K)
    return true;
  if (t == GgmlType::Q4_0) return true;
  if (t == GgmlType::IQ4_NL || t == GgmlType::MXFP4 || t == GgmlType::Q4_K) return repack;
  return false;
}

// tome::matmul against llama.cpp's mul_mat: bit-exact where expected, else within
// 2e-6 of sum |w x| per output (float summation order only).
void check_matmul(const Ggml& g) {
  if (!g.have_graph) SKIP("ggml graph API not found");
  tome::ThreadPool pool(2);
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0,
                     GgmlType::Q4_1, GgmlType::Q5_1, GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::IQ4_XS, GgmlType::Q2_K,
                     GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    const int64_t cols = tome::type_block_size(t) == 256 ? 512 : 256;
    // ggml repacks only these types on x86 (and crashes in set_tensor for others)
    // (Q2_K by the AVX-512 builds only: the haswell build cannot be compared where tome repacks)
    const bool repackable = t == GgmlType::Q4_0 || t == GgmlType::IQ4_NL || t == GgmlType::MXFP4 || t == GgmlType::Q4_K ||
                            (t == GgmlType::Q2_K && g.variant == "zen4");
    for (bool repack : {false, true}) {
      if (repack && !repackable) continue;
      // 60 rows: no repacking (llama.cpp leaves rows % 8 != 0 in the plain buffer,
      // and tome then follows the plain path); 64 rows: repacked in both engines.
      // IQ4_XS: 64 rows too, whose 9-token products take llama.cpp's IQ panel.
      for (const int64_t rows : {int64_t(60), int64_t(64)}) {
      if ((rows == 64) != repack && !(t == GgmlType::IQ4_XS && rows == 64)) continue;
      std::vector<uint8_t> w;
      for (int64_t r = 0; r < rows; ++r) {
        const std::vector<uint8_t> q = quantized(t, random_row(cols, 500 + uint32_t(r), 0.05f));
        w.insert(w.end(), q.begin(), q.end());
      }
      const size_t row_bytes = w.size() / size_t(rows);
      const tome::WeightMatrix W{t, rows, cols, w.data(), row_bytes};
      for (int64_t n_tokens : {1, 4, 7, 9}) {
        const std::vector<float> x = random_row(n_tokens * cols, 900 + uint32_t(n_tokens));
        const std::vector<float> want = ggml_matmul(g, t, w, rows, cols, x, n_tokens, repack);
        std::vector<float> y(want.size());
        std::vector<uint8_t> scratch;
        tome::matmul(W, x.data(), n_tokens, y.data(), pool, scratch);
        std::vector<float> y_scalar(want.size());
        tome::set_force_scalar(true);
        tome::matmul(W, x.data(), n_tokens, y_scalar.data(), pool, scratch);
        tome::set_force_scalar(false);
        for (size_t i = 0; i < y.size(); ++i)
          if (bits(y[i]) != bits(y_scalar[i])) TOME_FAIL(tname(t) + ": scalar and SIMD matmul differ");
        size_t exact = 0;
        double worst = 0;
        for (int64_t tk = 0; tk < n_tokens; ++tk) {
          for (int64_t r = 0; r < rows; ++r) {
            const std::vector<float> wf = dequantized(t, w.data() + size_t(r) * row_bytes, cols);
            double mag = 0;
            for (int64_t i = 0; i < cols; ++i) mag += std::fabs(double(wf[size_t(i)]) * x[size_t(tk * cols + i)]);
            const size_t o = size_t(tk * rows + r);
            exact += bits(y[o]) == bits(want[o]);
            worst = std::max(worst, std::fabs(double(y[o]) - want[o]) / mag);
          }
        }
        const std::string what = tname(t) + (repack ? " repack" : " plain") + " rows " + std::to_string(rows) +
                                 " tokens " + std::to_string(n_tokens);
        if (std::getenv("TOME_TEST_VERBOSE"))
          std::printf("  %-26s %3zu/%3zu bit-exact, worst diff %.2e of sum|w x|\n", what.c_str(), exact, y.size(),
                      worst);
        if (matmul_exact_expected(t, repack, n_tokens) && exact != y.size())
          TOME_FAIL(what + ": not bit-exact with ggml " + g.variant);
        if (!(worst <= 2e-6)) TOME_FAIL(what + ": too far from ggml " + g.variant);
      }
      }
    }
  }
}

}  // namespace

TEST(ggml_haswell_dequantize) { check_dequantize(load("haswell")); }
TEST(ggml_haswell_reference_quantizers) { check_quantize(load("haswell")); }
TEST(ggml_haswell_activation_conversion) { check_activations(load("haswell")); }
TEST(ggml_haswell_vec_dot) { check_vec_dot(load("haswell")); }
TEST(ggml_haswell_matmul) { check_matmul(load("haswell")); }
TEST(ggml_alderlake_vec_dot) { check_vec_dot(load("alderlake")); }
TEST(ggml_alderlake_matmul) { check_matmul(load("alderlake")); }
TEST(ggml_zen4_matmul) { check_matmul(load("zen4")); }
TEST(ggml_zen4_activation_conversion) { check_activations(load("zen4")); }
TEST(ggml_zen4_vec_dot) { check_vec_dot(load("zen4")); }
// the variant llama.cpp loads on this CPU (the F32 order follows it, kernels::f32_dot_lanes)
TEST(ggml_loaded_variant_vec_dot_f32) {
  check_vec_dot_f32(load(tome::cpu_features().avx512 ? "zen4" : "haswell"));
}

#else
TEST(ggml_oracle_unavailable_here) { SKIP("the ggml oracle test runs on x86-64 Linux"); }
#endif

TOME_TEST_MAIN()
