// bench_cuda_kernels: times tome's CUDA kernels and checks each timed output
// against a CPU oracle, on the shapes of an 8B Llama-3 model (n_embd 4096, n_ff
// 14336, 32 heads, 8 KV heads, head_dim 128) at 128K context.
//
//   bench_cuda_kernels [--json FILE]
//
// Memory-bound kernels report GB/s against a device-to-device copy measured in
// the same run (bytes read + written); attention and GEMMs report TFLOP/s. Each
// time is the median of repeated launches timed with events, after warm-up, with
// inputs rotated over enough copies to exceed the L2 cache twice. max_rel_err is
// max |got - ref| / max |ref| on (a sample of) the timed output, -1 when not
// measured. A measurement, not a test: it never fails on speed; it exits 1 only
// on an error or a non-finite output.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/fp16.h"
#include "cuda/cuda_check.h"
#include "cuda/decode_attention.h"
#include "cuda/device_buffer.h"
#include "cuda/flash_attention.h"
#include "cuda/matmul.h"
#include "cuda/matvec.h"
#include "cuda/merge_attention.h"
#include "cuda/rms_norm.h"
#include "cuda/rope.h"
#include "cuda/swiglu.h"
#include "cuda/topk_keys.h"
#include "gpu_test_util.h"  // fixtures shared with tests/cuda/device
#include "kv_fixture.h"
#include "weights_fixture.h"

using namespace tome;
using namespace tome::cuda;

namespace {

struct Row {
  std::string kernel, shape;
  double ms = 0;
  double gbytes_s = -1;  // memory-bound kernels
  double tflops = -1;    // arithmetic-bound kernels
  double max_rel_err = -1;
  double pct_of_copy = -1;
  std::string note;
};

std::vector<Row> g_rows;
double g_copy_gbs = 0;
size_t g_l2 = 0;
bool g_bad = false;

void add(Row r) {
  if (r.gbytes_s > 0 && g_copy_gbs > 0) r.pct_of_copy = 100.0 * r.gbytes_s / g_copy_gbs;
  if (r.max_rel_err >= 0 && !std::isfinite(r.max_rel_err)) g_bad = true;
  std::printf("  %-34s %-40s %9.4f ms", r.kernel.c_str(), r.shape.c_str(), r.ms);
  if (r.gbytes_s > 0) std::printf("  %8.1f GB/s (%5.1f%% of copy)", r.gbytes_s, r.pct_of_copy);
  if (r.tflops > 0) std::printf("  %8.2f TFLOP/s", r.tflops);
  if (r.max_rel_err >= 0) std::printf("  err %.2e", r.max_rel_err);
  if (!r.note.empty()) std::printf("  [%s]", r.note.c_str());
  std::printf("\n");
  std::fflush(stdout);
  g_rows.push_back(r);
}

// Median of `reps` timed calls of fn(i) (i = repetition, for rotating inputs).
double time_ms(const std::function<void(int)>& fn, int reps = 20, int warmup = 3) {
  for (int i = 0; i < warmup; ++i) fn(i);
  CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t a, b;
  CUDA_CHECK(cudaEventCreate(&a));
  CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> t;
  for (int i = 0; i < reps; ++i) {
    CUDA_CHECK(cudaEventRecord(a));
    fn(warmup + i);
    CUDA_CHECK(cudaEventRecord(b));
    CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  CUDA_CHECK(cudaEventDestroy(a));
  CUDA_CHECK(cudaEventDestroy(b));
  std::sort(t.begin(), t.end());
  return double(t[t.size() / 2]);
}

// How many copies of `bytes` exceed the L2 twice (at least 2).
int copies_for(size_t bytes) {
  const size_t want = 2 * g_l2 + 1;
  return int(std::max<size_t>(2, (want + bytes - 1) / bytes));
}

template <class T>
double rel_err(const std::vector<float>& got, const std::vector<T>& ref) {
  double e = 0, m = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i]) || !std::isfinite(double(ref[i]))) return INFINITY;
    e = std::max(e, std::fabs(double(got[i]) - double(ref[i])));
    m = std::max(m, std::fabs(double(ref[i])));
  }
  return m > 0 ? e / m : e;
}

std::string shape_str(std::initializer_list<int64_t> dims) {
  std::string s;
  for (int64_t d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// --- device-to-device copy: the bandwidth ceiling ------------------------------
void bench_copy() {
  size_t free_b = 0, total = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total));
  const size_t bytes = std::min<size_t>(size_t(1) << 30, free_b / 8);
  DeviceBuffer<uint8_t> a(bytes), b(bytes);
  CUDA_CHECK(cudaMemset(a.get(), 1, bytes));
  const double ms = time_ms([&](int) { CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice)); });
  g_copy_gbs = 2.0 * double(bytes) / ms / 1e6;
  Row r{"copy_d2d", std::to_string(bytes >> 20) + " MiB", ms, g_copy_gbs};
  r.note = "bytes read + written";
  add(r);
}

// --- quantized weights --------------------------------------------------------------
// A rows x cols matrix built from `distinct` random rows repeated (quantizing
// 60M weights on the CPU would take longer than the whole check).
struct BigMatrix {
  gpu_test::QuantMatrix sample;  // the distinct rows, with their dequantized values
  std::vector<uint8_t> bytes;    // all rows
};

BigMatrix make_matrix(GgmlType t, int64_t rows, int64_t cols, std::mt19937& g, int64_t distinct = 256) {
  BigMatrix m;
  m.sample = gpu_test::random_matrix(t, std::min(rows, distinct), cols, g);
  const size_t rb = m.sample.row_bytes;
  m.bytes.resize(size_t(rows) * rb);
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(m.bytes.data() + size_t(r) * rb, m.sample.bytes.data() + size_t(r % m.sample.rows) * rb, rb);
  return m;
}

void bench_matvec(GgmlType t, int64_t rows, int64_t cols, std::mt19937& g) {
  const BigMatrix m = make_matrix(t, rows, cols, g);
  const size_t mbytes = m.bytes.size();
  const int n = copies_for(mbytes);
  std::vector<DeviceBuffer<uint8_t>> w;
  for (int i = 0; i < n; ++i) {
    w.emplace_back(mbytes);
    CUDA_CHECK(cudaMemcpy(w.back().get(), m.bytes.data(), mbytes, cudaMemcpyHostToDevice));
  }
  const std::vector<float> x = gpu_test::random_activations(size_t(cols), g);
  auto dx = gpu_test::upload(x);
  DeviceBuffer<float> dy(static_cast<size_t>(rows));
  DeviceBuffer<uint8_t> scratch(matvec_scratch_bytes(t, cols) + 16);
  const double ms = time_ms([&](int i) { matvec(t, w[size_t(i % n)].get(), rows, cols, dx.get(), dy.get(), scratch.get(), nullptr); });
  matvec(t, w[0].get(), rows, cols, dx.get(), dy.get(), scratch.get(), nullptr);
  const std::vector<float> y = gpu_test::download(dy.get(), size_t(m.sample.rows));
  std::vector<double> ref(y.size());
  for (size_t r = 0; r < ref.size(); ++r) {
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += double(m.sample.deq[r * size_t(cols) + size_t(c)]) * x[size_t(c)];
    ref[r] = s;
  }
  Row row{std::string("matvec_") + ggml_type_name(uint32_t(t)), shape_str({rows, cols}), ms,
          double(mbytes + size_t(cols + rows) * 4) / ms / 1e6};
  row.max_rel_err = rel_err(y, ref);
  add(row);
}

void bench_matmul(GgmlType t, int64_t rows, int64_t cols, int64_t n_tokens, std::mt19937& g) {
  const BigMatrix m = make_matrix(t, rows, cols, g);
  auto dw = gpu_test::upload(m.bytes);
  const std::vector<float> x = gpu_test::random_activations(size_t(n_tokens * cols), g);
  auto dx = gpu_test::upload(x);
  DeviceBuffer<float> dy(size_t(n_tokens * rows));
  const double ms = time_ms([&](int) { matmul(t, dw.get(), rows, cols, dx.get(), n_tokens, dy.get(), nullptr); });
  const std::vector<float> y = gpu_test::download(dy.get(), dy.size());
  // error on the distinct rows x 16 tokens
  std::vector<float> got;
  std::vector<double> ref;
  for (int64_t n = 0; n < std::min<int64_t>(n_tokens, 16); ++n)
    for (int64_t r = 0; r < m.sample.rows; ++r) {
      double s = 0;
      for (int64_t c = 0; c < cols; ++c)
        s += double(m.sample.deq[size_t(r * cols + c)]) * x[size_t(n * cols + c)];
      ref.push_back(s);
      got.push_back(y[size_t(n * rows + r)]);
    }
  Row row{std::string("matmul_") + ggml_type_name(uint32_t(t)), shape_str({rows, cols, n_tokens}), ms};
  row.tflops = 2.0 * double(rows) * double(cols) * double(n_tokens) / ms / 1e9;
  row.max_rel_err = rel_err(got, ref);
  row.note = "tokens last";
  add(row);
}

// --- attention -------------------------------------------------------------------------
void bench_flash(int hd, int n_head, int n_kv, int64_t n_tokens, bool bf16, std::mt19937& g) {
  const gpu_test::KvData kv(n_kv, n_tokens, hd, n_tokens, bf16, g);
  const std::vector<float> q = gpu_test::randn(size_t(n_tokens * n_head * hd), g);
  auto dq = gpu_test::upload(q);
  auto dk = gpu_test::upload(kv.k), dv = gpu_test::upload(kv.v);
  DeviceBuffer<float> dout(q.size());
  PrefillAttentionArgs a;
  a.q = dq.get();
  a.out = dout.get();
  a.kv = kv.device_view(dk.get(), dv.get());
  a.n_tokens = n_tokens;
  a.pos0 = 0;
  a.n_head = n_head;
  a.n_head_kv = n_kv;
  a.hd = hd;
  a.scale = 1.0f / std::sqrt(float(hd));
  const double ms = time_ms([&](int) { flash_attention(a, AttentionCompute::TensorCores, nullptr); }, 10, 2);
  const std::vector<float> out = gpu_test::download(dout.get(), q.size());
  std::vector<float> got;
  std::vector<double> ref;
  const int n_gqa = n_head / n_kv;
  for (int s = 0; s < 12; ++s) {
    const int64_t i = (n_tokens - 1) * s / 11;
    for (int h = 0; h < n_head; h += n_head / 4) {
      std::vector<double> o(static_cast<size_t>(hd));
      double lse;
      gpu_test::attend_ref(q.data() + (i * n_head + h) * hd, kv, h / n_gqa, 0, i + 1, a.scale, o.data(), &lse);
      for (int d = 0; d < hd; ++d) {
        ref.push_back(o[size_t(d)]);
        got.push_back(out[size_t((i * n_head + h) * hd + d)]);
      }
    }
  }
  Row row{std::string("flash_attention_") + (bf16 ? "bf16" : "f16"),
          "hd" + std::to_string(hd) + " heads " + std::to_string(n_head) + "/" + std::to_string(n_kv) + " causal " +
              std::to_string(n_tokens),
          ms};
  const double pairs = double(n_tokens) * double(n_tokens + 1) / 2;  // (query, key) pairs under the mask
  row.tflops = 4.0 * pairs * hd * n_head / ms / 1e9;
  row.max_rel_err = rel_err(got, ref);
  add(row);
}

void bench_decode(int64_t n, int layers, std::mt19937& g) {
  const int hd = 128, n_head = 32, n_kv = 8;
  const gpu_test::KvData kv(n_kv, n, hd, n, false, g);
  const size_t kv_bytes = kv.k.size() * 2 * 2;  // K and V
  const int copies = std::max(layers, copies_for(kv_bytes));
  std::vector<DeviceBuffer<uint16_t>> dk, dv;
  for (int i = 0; i < copies; ++i) {
    dk.push_back(gpu_test::upload(kv.k));
    dv.push_back(gpu_test::upload(kv.v));
  }
  const std::vector<float> q = gpu_test::randn(size_t(n_head * hd), g);
  auto dq = gpu_test::upload(q);
  DeviceBuffer<float> dout(q.size()), dlse(static_cast<size_t>(n_head));
  DeviceBuffer<uint8_t> scratch(decode_attention_scratch_bytes(n, n_head, n_kv, hd) + 16);
  DecodeAttentionArgs a;
  a.q = dq.get();
  a.n = n;
  a.n_head = n_head;
  a.n_head_kv = n_kv;
  a.hd = hd;
  a.scale = 1.0f / std::sqrt(float(hd));
  a.out = dout.get();
  a.lse = dlse.get();
  auto run = [&](int i) {
    a.kv = kv.device_view(dk[size_t(i % copies)].get(), dv[size_t(i % copies)].get());
    decode_attention(a, scratch.get(), scratch.size(), nullptr);
  };
  const double ms = time_ms(run, 50, 5);
  run(0);
  const std::vector<float> out = gpu_test::download(dout.get(), q.size());
  std::vector<double> ref(q.size());
  for (int h = 0; h < n_head; ++h) {
    double lse;
    gpu_test::attend_ref(q.data() + h * hd, kv, h / (n_head / n_kv), 0, n, a.scale, ref.data() + h * hd, &lse);
  }
  Row row{"decode_attention_f16", "static " + std::to_string(n) + " keys, heads 32/8, hd128", ms,
          double(kv_bytes) / ms / 1e6};
  row.max_rel_err = rel_err(out, ref);
  row.note = "chunk " + std::to_string(decode_attention_chunk(n, n_kv)) + ", " + std::to_string(copies) + " copies";
  add(row);
}

void bench_topk(std::mt19937& g) {
  const int64_t n_q = 4096, n_keys = 32768;
  const int hd = 128, k = 100;
  const std::vector<float> q = gpu_test::randn(size_t(n_q * hd), g);
  std::vector<uint16_t> keys(size_t(n_keys * hd));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& x : keys) x = fp32_to_fp16(nd(g));
  auto dq = gpu_test::upload(q);
  auto dk = gpu_test::upload(keys);
  DeviceBuffer<int32_t> idx(size_t(n_q * k));
  DeviceBuffer<float> sc(size_t(n_q * k));
  TopkKeysArgs a;
  a.q = dq.get();
  a.n_q = n_q;
  a.q_stride = hd;
  a.keys = dk.get();
  a.n_keys = n_keys;
  a.key_stride = hd;
  a.hd = hd;
  a.k = k;
  a.idx = idx.get();
  a.score = sc.get();
  const double ms = time_ms([&](int) { topk_keys(a, nullptr); }, 5, 1);
  // check: returned scores equal the true scores of the returned keys, and the
  // k-th score equals the true k-th, for a few queries
  const std::vector<int32_t> id = gpu_test::download(idx.get(), idx.size());
  const std::vector<float> s = gpu_test::download(sc.get(), sc.size());
  std::vector<float> got;
  std::vector<double> ref;
  for (int64_t i = 0; i < n_q; i += n_q / 8) {
    std::vector<double> all(static_cast<size_t>(n_keys));
    for (int64_t j = 0; j < n_keys; ++j) {
      double d = 0;
      for (int e = 0; e < hd; ++e) d += double(q[size_t(i * hd + e)]) * fp16_to_fp32(keys[size_t(j * hd + e)]);
      all[size_t(j)] = d;
    }
    std::vector<double> sorted = all;
    std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<double>());
    for (int r = 0; r < k; ++r) {
      const int32_t j = id[size_t(i * k + r)];
      got.push_back(s[size_t(i * k + r)]);
      ref.push_back(j >= 0 && j < n_keys ? all[size_t(j)] : NAN);
    }
    got.push_back(s[size_t(i * k + k - 1)]);
    ref.push_back(sorted[size_t(k - 1)]);
  }
  Row row{"topk_keys", shape_str({n_q, n_keys, hd}) + " k " + std::to_string(k), ms};
  row.tflops = 2.0 * double(n_q) * double(n_keys) * hd / ms / 1e9;
  row.max_rel_err = rel_err(got, ref);
  row.note = "f32 CUDA cores";
  add(row);
}

void bench_small(std::mt19937& g) {
  const int n = 4096;
  const std::vector<float> x = gpu_test::randn(size_t(512) * n, g), w = gpu_test::randn(size_t(n), g);
  auto dx = gpu_test::upload(x), dw = gpu_test::upload(w);
  DeviceBuffer<float> dout(x.size());
  for (int64_t rows : {int64_t(1), int64_t(512)}) {
    const double ms = time_ms([&](int) { rms_norm(dx.get(), dw.get(), dout.get(), rows, n, 1e-5f, nullptr); });
    add({"rms_norm", shape_str({rows, n}), ms, double(rows * n * 8 + n * 4) / ms / 1e6});
  }
  RopeParams rp;
  rp.n_rot = 128;
  rp.freq_base = 500000.0f;
  const double rms = time_ms([&](int) { rope(dout.get(), 1, 32, 128, 4096, 131072, rp, nullptr); });
  add({"rope_norm", "1 token, 32 heads, hd128", rms, 2.0 * 4096 * 4 / rms / 1e6});
  const int64_t ff = 14336;
  auto dg = gpu_test::upload(gpu_test::randn(size_t(512) * ff, g));
  auto du = gpu_test::upload(gpu_test::randn(size_t(512) * ff, g));
  for (int64_t rows : {int64_t(1), int64_t(512)}) {
    const double ms = time_ms([&](int) { swiglu(dg.get(), du.get(), rows * ff, nullptr); });
    add({"swiglu", shape_str({rows, ff}), ms, double(rows * ff * 12) / ms / 1e6});
  }
  DeviceBuffer<float> lse_a(32), lse_b(32);
  CUDA_CHECK(cudaMemset(lse_a.get(), 0, 128));
  CUDA_CHECK(cudaMemset(lse_b.get(), 0, 128));
  const double mms = time_ms([&](int) { merge_attention(dout.get(), lse_a.get(), dx.get(), lse_b.get(), 32, 128, nullptr); });
  add({"merge_attention", "32 heads, hd128", mms});
}

// --- the GPU part of one decode step of an 8B Q4_K model at 128K context ----------
// Per layer: rms_norm, q/k/v matvec, rope, static-set attention (sinks 128 +
// window 2048), merge with a retrieved part, o matvec, rms_norm, gate/up matvec,
// swiglu, down matvec; then the output norm and the Q6_K vocabulary projection.
// Captured once as a CUDA graph, replayed. Residual adds, the KV append and the
// CPU's retrieval are not in it (the latter overlaps it; see coexec_schedule.h).
void bench_llama8b_step(std::mt19937& g) {
  const int L = 32, E = 4096, F = 14336, H = 32, HKV = 8, HD = 128, V = 128256;
  const int64_t n_static = 2176;
  struct Layer {
    DeviceBuffer<uint8_t> wq, wk, wv, wo, gate, up, down;
    DeviceBuffer<uint16_t> k, v;
  };
  const BigMatrix mq = make_matrix(GgmlType::Q4_K, E, E, g), mkv = make_matrix(GgmlType::Q4_K, HKV * HD, E, g);
  const BigMatrix mff = make_matrix(GgmlType::Q4_K, F, E, g), mdown = make_matrix(GgmlType::Q4_K, E, F, g);
  const BigMatrix mout = make_matrix(GgmlType::Q6_K, V, E, g);
  const gpu_test::KvData kv(HKV, n_static, HD, n_static, false, g);
  auto up = [](const std::vector<uint8_t>& b) { return gpu_test::upload(b); };
  std::vector<Layer> layers;
  for (int l = 0; l < L; ++l) {
    Layer y{up(mq.bytes), up(mkv.bytes), up(mkv.bytes), up(mq.bytes), up(mff.bytes), up(mff.bytes), up(mdown.bytes),
            gpu_test::upload(kv.k), gpu_test::upload(kv.v)};
    layers.push_back(std::move(y));
  }
  auto wout = up(mout.bytes);
  auto norm_w = gpu_test::upload(gpu_test::randn(size_t(E), g));
  auto x = gpu_test::upload(gpu_test::random_activations(size_t(E), g));
  DeviceBuffer<float> h{size_t(E)}, q{size_t(H * HD)}, k{size_t(HKV * HD)}, v{size_t(HKV * HD)}, att{size_t(H * HD)},
      lse{size_t(H)}, r_out{size_t(H * HD)}, r_lse{size_t(H)}, t{size_t(E)}, gate{size_t(F)}, upb{size_t(F)},
      logits{size_t(V)};
  CUDA_CHECK(cudaMemset(r_out.get(), 0, r_out.bytes()));
  CUDA_CHECK(cudaMemset(r_lse.get(), 0, r_lse.bytes()));
  DeviceBuffer<uint8_t> mv_scratch(matvec_scratch_bytes(GgmlType::Q4_K, F) + 16);
  DeviceBuffer<uint8_t> att_scratch(decode_attention_scratch_bytes(n_static, H, HKV, HD) + 16);
  size_t used = 0, total = 0;
  device_memory(&used, &total);

  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  RopeParams rp;
  rp.n_rot = HD;
  rp.freq_base = 500000.0f;
  auto step = [&]() {
    for (int l = 0; l < L; ++l) {
      Layer& y = layers[size_t(l)];
      rms_norm(x.get(), norm_w.get(), h.get(), 1, E, 1e-5f, s);
      matvec(GgmlType::Q4_K, y.wq.get(), H * HD, E, h.get(), q.get(), mv_scratch.get(), s);
      matvec(GgmlType::Q4_K, y.wk.get(), HKV * HD, E, h.get(), k.get(), mv_scratch.get(), s);
      matvec(GgmlType::Q4_K, y.wv.get(), HKV * HD, E, h.get(), v.get(), mv_scratch.get(), s);
      rope(q.get(), 1, H, HD, H * HD, 131072, rp, s);
      rope(k.get(), 1, HKV, HD, HKV * HD, 131072, rp, s);
      DecodeAttentionArgs a;
      a.q = q.get();
      a.kv = kv.device_view(y.k.get(), y.v.get());
      a.n = n_static;
      a.n_head = H;
      a.n_head_kv = HKV;
      a.hd = HD;
      a.scale = 1.0f / std::sqrt(float(HD));
      a.out = att.get();
      a.lse = lse.get();
      decode_attention(a, att_scratch.get(), att_scratch.size(), s);
      merge_attention(att.get(), lse.get(), r_out.get(), r_lse.get(), H, HD, s);
      matvec(GgmlType::Q4_K, y.wo.get(), E, H * HD, att.get(), t.get(), mv_scratch.get(), s);
      rms_norm(t.get(), norm_w.get(), h.get(), 1, E, 1e-5f, s);
      matvec(GgmlType::Q4_K, y.gate.get(), F, E, h.get(), gate.get(), mv_scratch.get(), s);
      matvec(GgmlType::Q4_K, y.up.get(), F, E, h.get(), upb.get(), mv_scratch.get(), s);
      swiglu(gate.get(), upb.get(), F, s);
      matvec(GgmlType::Q4_K, y.down.get(), E, F, gate.get(), t.get(), mv_scratch.get(), s);
    }
    rms_norm(t.get(), norm_w.get(), h.get(), 1, E, 1e-5f, s);
    matvec(GgmlType::Q6_K, wout.get(), V, E, h.get(), logits.get(), mv_scratch.get(), s);
  };
  step();  // first run outside the graph (lazy module loading)
  CUDA_CHECK(cudaStreamSynchronize(s));
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  step();
  CUDA_CHECK(cudaStreamEndCapture(s, &graph));
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  cudaEvent_t a, b;
  CUDA_CHECK(cudaEventCreate(&a));
  CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> times;
  for (int i = 0; i < 13; ++i) {
    CUDA_CHECK(cudaEventRecord(a, s));
    CUDA_CHECK(cudaGraphLaunch(exec, s));
    CUDA_CHECK(cudaEventRecord(b, s));
    CUDA_CHECK(cudaEventSynchronize(b));
    float ms;
    CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    if (i >= 3) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  const double ms = times[times.size() / 2];
  size_t weight_bytes = mout.bytes.size();
  for (const Layer& y : layers)
    weight_bytes += y.wq.bytes() + y.wk.bytes() + y.wv.bytes() + y.wo.bytes() + y.gate.bytes() + y.up.bytes() + y.down.bytes() +
                    y.k.bytes() + y.v.bytes();
  Row row{"llama8b_q4k_decode_gpu_part", "32 layers, static 2176 keys, graph", ms, double(weight_bytes) / ms / 1e6};
  char note[160];
  std::snprintf(note, sizeof note, "paper: 188 ms/token on a 4090; GPU memory used %.1f GiB of %.1f",
                double(used) / (1u << 30), double(total) / (1u << 30));
  row.note = note;
  add(row);
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(graph));
  CUDA_CHECK(cudaEventDestroy(a));
  CUDA_CHECK(cudaEventDestroy(b));
  CUDA_CHECK(cudaStreamDestroy(s));
}

void write_json(const char* path) {
  FILE* f = std::fopen(path, "w");
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", path);
    g_bad = true;
    return;
  }
  std::fprintf(f, "[\n");
  for (size_t i = 0; i < g_rows.size(); ++i) {
    const Row& r = g_rows[i];
    std::fprintf(f, "  {\"kernel\": \"%s\", \"shape\": \"%s\", \"ms\": %.6g", r.kernel.c_str(), r.shape.c_str(), r.ms);
    if (r.gbytes_s > 0) std::fprintf(f, ", \"gbytes_s\": %.6g, \"pct_of_copy\": %.4g", r.gbytes_s, r.pct_of_copy);
    if (r.tflops > 0) std::fprintf(f, ", \"tflops\": %.6g", r.tflops);
    if (r.max_rel_err >= 0 && std::isfinite(r.max_rel_err)) std::fprintf(f, ", \"max_rel_err\": %.3g", r.max_rel_err);
    else if (r.max_rel_err >= 0) std::fprintf(f, ", \"max_rel_err\": null, \"error\": \"non-finite output\"");
    if (!r.note.empty()) std::fprintf(f, ", \"note\": \"%s\"", r.note.c_str());
    std::fprintf(f, "}%s\n", i + 1 < g_rows.size() ? "," : "");
  }
  std::fprintf(f, "]\n");
  std::fclose(f);
  std::printf("wrote %s\n", path);
}

}  // namespace

int main(int argc, char** argv) {
  const char* json = nullptr;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--json FILE] [--only copy|matvec|matmul|flash|decode|topk|small|llama8b]\n", argv[0]);
      return 2;
    }
  }
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    std::printf("no CUDA device (%s): nothing to measure\n", e != cudaSuccess ? cudaGetErrorString(e) : "count 0");
    return 77;
  }
  try {
    cudaDeviceProp p;
    CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
    g_l2 = size_t(p.l2CacheSize);
    std::printf("device: %s, sm_%d%d, %d SMs, %.1f GiB, L2 %.0f MB\n", p.name, p.major, p.minor, p.multiProcessorCount,
                double(p.totalGlobalMem) / (1u << 30), double(g_l2) / 1e6);
    std::mt19937 g(1234);
    auto want = [&](const char* what) { return only.empty() || only == what; };
    const auto t0 = std::chrono::steady_clock::now();
    bench_copy();
    if (want("matvec"))
      for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::Q8_0, GgmlType::F16, GgmlType::BF16}) {
        bench_matvec(t, 14336, 4096, g);
        bench_matvec(t, 4096, 14336, g);
      }
    if (want("matmul"))
      for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q8_0, GgmlType::F16, GgmlType::BF16}) bench_matmul(t, 4096, 4096, 512, g);
    if (want("flash")) {
      bench_flash(128, 32, 8, 8192, true, g);
      bench_flash(128, 32, 8, 8192, false, g);
      bench_flash(64, 32, 8, 8192, true, g);
    }
    if (want("decode")) {
      bench_decode(2176, 32, g);
      bench_decode(32768, 1, g);
    }
    if (want("topk")) bench_topk(g);
    if (want("small")) bench_small(g);
    if (want("llama8b")) bench_llama8b_step(g);
    std::printf("bench: %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  } catch (const Error& err) {
    std::fprintf(stderr, "bench failed: [%s] %s\n", err.code().c_str(), err.what());
    g_bad = true;
  }
  if (json) write_json(json);
  return g_bad ? 1 : 0;
}
