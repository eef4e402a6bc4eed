// tome's per-layer ops against ggml itself, as llama.cpp's graph uses them for
// LLM_ARCH_LLAMA without flash attention (src/llama-graph.cpp build_attn_mha):
//   rms_norm + mul(norm weight)  == ggml_mul(ggml_rms_norm(x), w)
//   layer_norm (cohere2)         == ggml_mul(ggml_norm(x), w), zen4's and haswell's sums
//   apply_rope (NORM and NEOX)   == ggml_rope_ext(x, pos, -, n_rot, mode, ...)
//   swiglu                       == ggml_swiglu_split(gate, up)
//   causal_attention             == mul_mat(K view, q) -> soft_max_ext(mask, kq_scale)
//                                   (gpt-oss: -> soft_max_add_sinks(sinks))
//   (decode and prefill)            -> mul_mat(transposed V view, kq), with the F16
//                                   cache laid out as llama_kv_cache does and n_kv
//                                   padded to 256 as llama.cpp pads it
// all bit-exact. (The layer_ops live in tome_model, hence this folder.) The ggml
// libraries are the ones node-llama-cpp ships (the engine's oracle), loaded with
// dlopen as in tests/cpu/test_cpu_ggml_oracle.cpp; the CPU variant is the one
// ggml's backend loader picks on this machine (highest ggml_backend_score), and
// must be one tome mirrors (zen4 or haswell). Skips when the libraries are absent
// ($TOME_GGML_LIB_DIR overrides the folder) or llama.cpp loads another variant.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "attention/causal_attention.h"
#include "common/fp16.h"
#include "cpu/cpu_features.h"
#include "cpu/thread_pool.h"
#include "model/layer_ops.h"
#include "model/model_test_util.h"
#include "ggml_library.h"
#include "test_harness.h"

using namespace tome;

#ifdef TOME_ORACLE_POSSIBLE
namespace {

constexpr int kF32 = 0, kF16 = 1, kI32 = 26;  // enum ggml_type

using ggml_library::bind;
using ggml_library::GraphApi;
using ggml_library::lib_dir;

// The CPU variant llama.cpp loads here: ggml_backend_load_best dlopens every
// libggml-cpu-*.so and keeps the one whose ggml_backend_score() is highest. Under
// TOME_CPU_CAP (cpu_features().avx512 false on an AVX-512 CPU; avxvnni too under
// avx2), the one it loads on a CPU without those, whose variants that need them score 0.
const char* const kVariants[] = {"x64",        "sse42",       "sandybridge", "ivybridge", "piledriver",
                                 "haswell",    "skylakex",    "cannonlake",  "cascadelake", "icelake",
                                 "cooperlake", "zen4",        "alderlake",   "sapphirerapids"};
bool is_avx512_variant(const std::string& v) {
  return v == "skylakex" || v == "cannonlake" || v == "cascadelake" || v == "icelake" || v == "cooperlake" ||
         v == "zen4" || v == "sapphirerapids";
}
std::string loaded_variant() {
  static const std::string best = [] {
    std::string name;
    int best_score = 0;
    for (const char* v : kVariants) {
      if (is_avx512_variant(v) && !cpu_features().avx512) continue;
      if (std::strcmp(v, "alderlake") == 0 && !cpu_features().avxvnni) continue;
      void* lib = dlopen((lib_dir() + "/libggml-cpu-" + v + ".so").c_str(), RTLD_NOW | RTLD_LOCAL);
      int (*score)() = nullptr;
      if (lib && bind(&score, lib, "ggml_backend_score") && score() > best_score) {
        best_score = score();
        name = v;
      }
    }
    return name;
  }();
  return best;
}

// The variant tome's numerics are compared with: the loaded one, where it is one
// of those this test knows to be mirrored (zen4: AVX-512; haswell: AVX2; alderlake:
// AVX2 + AVX-VNNI, haswell's float orders).
std::string best_variant() {
  const std::string v = loaded_variant();
  return v == "zen4" || v == "haswell" || v == "alderlake" ? v : "";
}

bool can_run_haswell() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
         __builtin_cpu_supports("bmi2");
}

// The graph API of libggml-base + libggml-cpu-<variant> ("" = best_variant()).
const GraphApi& api(const std::string& which = "") {
  struct Loaded {
    GraphApi a{};
    std::string skip_why;
  };
  static std::map<std::string, Loaded> cache;
  const std::string variant = which.empty() ? best_variant() : which;
  const bool fresh = cache.find(variant) == cache.end();
  GraphApi& a = cache[variant].a;
  std::string& skip_why = cache[variant].skip_why;
  if (fresh) {
    const std::string dir = lib_dir();
    void* base = variant.empty() ? nullptr : dlopen((dir + "/libggml-base.so").c_str(), RTLD_NOW | RTLD_GLOBAL);
    void* cpu = base ? dlopen((dir + "/libggml-cpu-" + variant + ".so").c_str(), RTLD_NOW | RTLD_LOCAL) : nullptr;
    if (variant.empty()) skip_why = "llama.cpp loads neither ggml's zen4 nor its haswell variant here";
    else if (!cpu) skip_why = "no ggml libraries at " + dir + " (npm install brings node-llama-cpp)";
    bool ok = cpu != nullptr;
    if (ok) {
      void (*cpu_init)() = nullptr;
      ok = bind(&cpu_init, cpu, "ggml_cpu_init") && ggml_library::bind_graph_api(a, base, cpu);
      if (!ok) skip_why = "ggml entry points missing";
      else cpu_init();
    }
    if (!ok) a.init = nullptr;
  }
  if (!a.init) SKIP(skip_why);
  return a;
}

// One graph: inputs made by the caller in ctx, set after allocation, one output.
struct Graph {
  const GraphApi& a;
  explicit Graph(const std::string& variant = "") : a(api(variant)) {}
  void* ctx = a.init({1 << 22, nullptr, true});
  std::vector<std::pair<void*, std::vector<uint8_t>>> inputs;
  ~Graph() { a.free_ctx(ctx); }
  void* input(void* t, const void* data, size_t bytes) {
    inputs.push_back({t, std::vector<uint8_t>(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + bytes)});
    return t;
  }
  template <class T>
  void* input(void* t, const std::vector<T>& v) { return input(t, v.data(), v.size() * sizeof(T)); }
  std::vector<float> run(void* out, size_t n_out, int threads = 1) {
    void* graph = a.new_graph(ctx);
    a.build_forward_expand(graph, out);
    void* buf = a.alloc_ctx_tensors_from_buft(ctx, a.cpu_buffer_type());
    for (auto& [t, bytes] : inputs) a.tensor_set(t, bytes.data(), 0, bytes.size());
    void* backend = a.cpu_backend_init();
    a.cpu_set_n_threads(backend, threads);
    const int status = a.graph_compute(backend, graph);
    std::vector<float> y(n_out);
    a.tensor_get(out, y.data(), 0, n_out * sizeof(float));
    a.backend_free(backend);
    a.buffer_free(buf);
    if (status != 0) TOME_FAIL("ggml graph compute failed");
    return y;
  }
};

using model_test::bits;
using model_test::randn;

void expect_same(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  CHECK_EQ(got.size(), want.size());
  size_t diff = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (bits(got[i]) != bits(want[i]) && !diff++) first = i;
  if (diff)
    TOME_FAIL(what + ": " + std::to_string(diff) + "/" + std::to_string(got.size()) + " values differ from ggml, first at " +
              std::to_string(first) + ": " + std::to_string(got[first]) + " vs " + std::to_string(want[first]));
}

// Model-like shapes: (n_embd, n_head, n_head_kv, head_dim).
struct Shape {
  int n_embd, n_head, n_head_kv, hd;
};
const Shape kShapes[] = {{128, 8, 4, 16}, {256, 4, 2, 64}};

}  // namespace

// tome mirrors the 16-lane sums of ggml's AVX-512 builds exactly where llama.cpp
// loads one of them (CpuFeatures::avx512), else the 8-lane AVX2 ones.
TEST(ggml_loaded_variant_matches_cpu_features) {
  const std::string v = loaded_variant();
  if (v.empty()) SKIP("no ggml CPU variant loads from " + lib_dir());
  if (std::getenv("TOME_TEST_VERBOSE")) std::printf("  llama.cpp loads libggml-cpu-%s.so here\n", v.c_str());
  CHECK_EQ(cpu_features().avx512, is_avx512_variant(v));
  if (cpu_features().avx2 && cpu_features().fma && cpu_features().f16c) CHECK(v != "x64" && v != "sse42");
}

TEST(ggml_rms_norm_mul) {
  for (const Shape& s : kShapes)
    for (uint32_t seed = 1; seed <= 4; ++seed) {
      const int n = s.n_embd, rows = 3;
      const float eps = 1e-5f;
      const std::vector<float> x = randn(size_t(n) * rows, seed, seed % 2 ? 1.0f : 7.0f), w = randn(size_t(n), seed + 50, 0.3f);
      Graph g;
      void* X = g.input(g.a.new_tensor_2d(g.ctx, kF32, n, rows), x);
      void* W = g.input(g.a.new_tensor_1d(g.ctx, kF32, n), w);
      const std::vector<float> want = g.run(g.a.mul(g.ctx, g.a.rms_norm(g.ctx, X, eps), W), x.size());
      std::vector<float> got(x.size());
      rms_norm(x.data(), w.data(), got.data(), rows, n, eps);
      expect_same(got, want, "rms_norm n " + std::to_string(n));
    }
}

// The variance's groups of squares are reduced as the variant's registers are (16 lanes in
// zen4, 8 in haswell), the tail one by one: widths with and without a tail, rows whose mean
// is far from 0 (the centring matters).
void check_layer_norm(const std::string& variant, int lanes) {
  for (int n : {128, 200, 256, 1000, 4096})
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      const int rows = 3;
      const float eps = 1e-5f;
      std::vector<float> x = randn(size_t(n) * rows, seed, seed % 2 ? 1.0f : 7.0f);
      for (float& v : x) v += float(seed) * 3.0f;
      const std::vector<float> w = randn(size_t(n), seed + 50, 0.3f);
      Graph g(variant);
      void* X = g.input(g.a.new_tensor_2d(g.ctx, kF32, n, rows), x);
      void* W = g.input(g.a.new_tensor_1d(g.ctx, kF32, n), w);
      const std::vector<float> want = g.run(g.a.mul(g.ctx, g.a.norm(g.ctx, X, eps), W), x.size());
      std::vector<float> got(x.size());
      layer_norm(x.data(), w.data(), got.data(), rows, n, eps, lanes);
      expect_same(got, want, "layer_norm n " + std::to_string(n) + " (ggml " + (variant.empty() ? best_variant() : variant) + ")");
    }
}

TEST(ggml_norm_mul) { check_layer_norm("", llama_cvar_lanes()); }
TEST(ggml_haswell_norm_mul) {
  if (!can_run_haswell()) SKIP("this CPU cannot run ggml's haswell variant");
  check_layer_norm("haswell", 8);
}

// Both FMA builds contract the rotation the same way (see apply_rope).
void check_rope(const std::string& variant) {
  for (RopeStyle style : {RopeStyle::NORM, RopeStyle::NEOX})
    for (const Shape& s : kShapes)
      for (int64_t pos : {0, 1, 7, 8, 100, 511, 4000}) {
        HParams hp;
        hp.n_rot = s.hd;
        hp.head_dim = s.hd;
        hp.rope_freq_base = 10000.0f;
        hp.rope_freq_scale = 1.0f;
        const std::vector<float> x = randn(size_t(s.n_head) * s.hd, uint32_t(pos) + 7, 2.0f);
        const int32_t p32 = int32_t(pos);
        Graph g(variant);
        void* X = g.input(g.a.new_tensor_3d(g.ctx, kF32, s.hd, s.n_head, 1), x);
        void* P = g.input(g.a.new_tensor_1d(g.ctx, kI32, 1), &p32, sizeof p32);
        const int mode = style == RopeStyle::NORM ? 0 : 2;
        void* Y = g.a.rope_ext(g.ctx, X, P, nullptr, hp.n_rot, mode, 4096, hp.rope_freq_base, hp.rope_freq_scale, 0.0f,
                               1.0f, 32.0f, 1.0f);
        const std::vector<float> want = g.run(Y, x.size());
        RopeTable t;
        t.fill(hp, {}, pos);
        std::vector<float> got = x;
        apply_rope(got.data(), s.n_head, s.hd, hp.n_rot, style, t);
        expect_same(got, want, std::string(style == RopeStyle::NORM ? "NORM" : "NEOX") + " rope hd " +
                                   std::to_string(s.hd) + " pos " + std::to_string(pos) + " (ggml " +
                                   (variant.empty() ? best_variant() : variant) + ")");
      }
}

TEST(ggml_rope_ext) { check_rope(""); }
TEST(ggml_haswell_rope_ext) {
  if (!can_run_haswell()) SKIP("this CPU cannot run ggml's haswell variant");
  check_rope("haswell");
}

TEST(ggml_swiglu) {
  for (int64_t n : {int64_t(344), int64_t(512), int64_t(1000)})
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      const std::vector<float> gate = randn(size_t(n), seed, 3.0f), up = randn(size_t(n), seed + 9);
      Graph g;
      void* G = g.input(g.a.new_tensor_1d(g.ctx, kF32, n), gate);
      void* U = g.input(g.a.new_tensor_1d(g.ctx, kF32, n), up);
      const std::vector<float> want = g.run(g.a.swiglu_split(g.ctx, G, U), size_t(n));
      std::vector<float> got = gate;
      swiglu(got.data(), up.data(), n);
      expect_same(got, want, "swiglu n " + std::to_string(n));
    }
}

// n_tok queries at positions [pos0, pos0 + n_tok) over a cache of kv_size cells,
// as llama.cpp evaluates one ubatch, against tome's causal_attention. One token
// is the decode path (mul_mat by ggml_vec_dot_f16), more the prefill path
// (llamafile's tinyBLAS).
// With sinks (gpt-oss), each head's sink logit joins its softmax (ggml_soft_max_add_sinks). A
// decode step past 2048 keys splits them over the threads (causal_attention.cpp).
void check_attention(const Shape& s, int64_t pos0, int64_t n_tok, int threads, uint32_t seed, bool with_sinks = false,
                     int64_t kv_size = 512, int64_t window = 0) {
  const int64_t pos = pos0 + n_tok - 1;  // the last position present
  const int hd = s.hd, H = s.n_head, Hkv = s.n_head_kv, E_kv = Hkv * hd;
  const int64_t n_kv = std::min<int64_t>(kv_size, (pos + 1 + 255) / 256 * 256);
  const float scale = 1.0f / std::sqrt(float(hd));
  // f16 keys and values of positions [0, pos]; unused cells hold garbage
  std::vector<uint16_t> kc(size_t(kv_size) * E_kv), vc(size_t(kv_size) * E_kv);  // llama.cpp layouts
  std::vector<std::vector<uint16_t>> tk(static_cast<size_t>(Hkv)), tv(static_cast<size_t>(Hkv));          // tome: per group [pos][hd]
  const std::vector<float> kf = randn(kc.size(), seed, 1.5f), vf = randn(vc.size(), seed + 1);
  for (int g = 0; g < Hkv; ++g) {
    tk[size_t(g)].resize(size_t(kv_size) * hd);
    tv[size_t(g)].resize(size_t(kv_size) * hd);
  }
  for (int64_t j = 0; j < kv_size; ++j)
    for (int g = 0; g < Hkv; ++g)
      for (int d = 0; d < hd; ++d) {
        const size_t i = size_t(j) * E_kv + size_t(g) * hd + size_t(d);
        const uint16_t k = fp32_to_fp16(kf[i]), v = fp32_to_fp16(vf[i]);
        kc[i] = k;                                                     // K: (E_kv, kv_size)
        vc[(size_t(g) * hd + size_t(d)) * size_t(kv_size) + size_t(j)] = v;  // V transposed: (kv_size, E_kv)
        tk[size_t(g)][size_t(j) * hd + size_t(d)] = k;
        tv[size_t(g)][size_t(j) * hd + size_t(d)] = v;
      }
  const std::vector<float> q = randn(size_t(n_tok) * H * hd, seed + 2, 2.0f);
  std::vector<float> mask(static_cast<size_t>(n_kv * n_tok));
  for (int64_t i = 0; i < n_tok; ++i)
    for (int64_t j = 0; j < n_kv; ++j)
      mask[size_t(i * n_kv + j)] = j <= pos0 + i && (window == 0 || j > pos0 + i - window)
                                       ? 0.0f
                                       : -std::numeric_limits<float>::infinity();

  Graph g;
  const GraphApi& a = g.a;
  void* Q = g.input(a.new_tensor_3d(g.ctx, kF32, hd, H, n_tok), q);
  void* K = g.input(a.new_tensor_2d(g.ctx, kF16, E_kv, kv_size), kc);
  void* V = g.input(a.new_tensor_2d(g.ctx, kF16, kv_size, E_kv), vc);
  void* M = g.input(a.new_tensor_2d(g.ctx, kF32, n_kv, n_tok), mask);
  void* k = a.view_4d(g.ctx, K, hd, Hkv, n_kv, 1, size_t(hd) * 2, size_t(E_kv) * 2, size_t(E_kv) * kv_size * 2, 0);
  void* v = a.view_4d(g.ctx, V, n_kv, Hkv, hd, 1, size_t(kv_size) * hd * 2, size_t(kv_size) * 2,
                      size_t(kv_size) * E_kv * 2, 0);
  void* qp = a.permute(g.ctx, Q, 0, 2, 1, 3);
  void* kp = a.permute(g.ctx, k, 0, 2, 1, 3);
  void* vp = a.permute(g.ctx, v, 0, 2, 1, 3);
  void* kq = a.mul_mat(g.ctx, kp, qp);
  a.mul_mat_set_prec(kq, 10);  // GGML_PREC_F32
  kq = a.soft_max_ext(g.ctx, kq, M, scale, 0.0f);
  const std::vector<float> sinks = randn(size_t(H), seed + 3, 2.0f);
  if (with_sinks) a.soft_max_add_sinks(kq, g.input(a.new_tensor_1d(g.ctx, kF32, H), sinks));
  void* kqv = a.mul_mat(g.ctx, vp, kq);
  void* out = a.cont_2d(g.ctx, a.permute(g.ctx, kqv, 0, 2, 1, 3), int64_t(H) * hd, n_tok);
  const std::vector<float> want = g.run(out, q.size(), threads);

  std::vector<const uint16_t*> kh(static_cast<size_t>(Hkv)), vh(static_cast<size_t>(Hkv));
  for (int i = 0; i < Hkv; ++i) {
    kh[size_t(i)] = tk[size_t(i)].data();
    vh[size_t(i)] = tv[size_t(i)].data();
  }
  std::vector<float> got(q.size());
  ThreadPool pool(threads);
  CausalAttentionArgs args{q.data(), got.data(), n_tok, pos0, H, Hkv, hd, scale, kh.data(), vh.data(), size_t(hd)};
  if (with_sinks) args.sinks = sinks.data();
  args.window = window;
  causal_attention(args, pool);
  expect_same(got, want, std::string(with_sinks ? "sinks " : "") + "attention hd " + std::to_string(hd) + " pos0 " +
                             std::to_string(pos0) + " tokens " + std::to_string(n_tok) + " threads " +
                             std::to_string(threads));
}

TEST(ggml_decode_attention) {
  for (const Shape& s : kShapes)
    for (int threads : {1, 2})
      for (int64_t pos : {0, 1, 5, 8, 15, 16, 37, 200, 255, 256, 300})
        check_attention(s, pos, 1, threads, uint32_t(pos) * 3 + 11);
}

TEST(ggml_prefill_attention) {
  for (const Shape& s : kShapes)
    for (int threads : {1, 2})
      for (auto [pos0, n_tok] : {std::pair<int64_t, int64_t>{0, 2}, {0, 12}, {5, 7}, {0, 48}, {100, 30}, {250, 20}})
        check_attention(s, pos0, n_tok, threads, uint32_t(pos0 + n_tok) * 5 + 3);
}

// gpt-oss's sinks: decode (one thread and two; past 2048 keys the split-keys path) and prefill
TEST(ggml_attention_with_sinks) {
  for (const Shape& s : kShapes)
    for (int threads : {1, 2}) {
      for (int64_t pos : {0, 37, 300}) check_attention(s, pos, 1, threads, uint32_t(pos) * 7 + 5, true);
      check_attention(s, 2100, 1, threads, 17, true, 2304);
      for (auto [pos0, n_tok] : {std::pair<int64_t, int64_t>{0, 12}, {100, 30}})
        check_attention(s, pos0, n_tok, threads, uint32_t(pos0 + n_tok) * 7 + 1, true);
      // a window of 16 (gpt-oss's window layers), a step and a prompt
      for (int64_t pos : {15, 16, 41, 63, 64, 300}) check_attention(s, pos, 1, threads, uint32_t(pos) * 5 + 9, true, 512, 16);
      check_attention(s, 0, 48, threads, 23, true, 512, 16);
    }
}

#else
TEST(ggml_layer_oracle_unavailable_here) { SKIP("the ggml oracle test runs on x86-64 Linux"); }
#endif

TOME_TEST_MAIN()
