// Attention kernels against the CPU:
//   prefill flash attention (tensor cores f16/bf16, f32) vs a double reference and
//     vs attention/causal_attention (f16 K/V), GQA, chunked prefill (pos0 > 0);
//   decode attention over a static set vs attention/partial_attention attend_rows
//     (out and lse), including n = 0 and splits merged back;
//   the log-sum-exp merge vs merge_partial.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "attention/causal_attention.h"
#include "attention/partial_attention.h"
#include "cpu/thread_pool.h"
#include "cuda/decode_attention.h"
#include "cuda/flash_attention.h"
#include "cuda/merge_attention.h"
#include "gpu_test_util.h"
#include "kv_fixture.h"

using namespace tome;
using namespace tome::cuda;
using namespace gpu_test;

namespace {

struct PrefillCase {
  int hd, n_head, n_head_kv;
  int64_t pos0, n_tokens;
  float q_scale;  // larger: sharper softmax
};

void run_prefill(const PrefillCase& c, AttentionCompute compute, bool bf16) {
  std::mt19937 g(seed() + uint32_t(c.hd + 7 * c.pos0 + 13 * c.n_tokens));
  const int64_t n_keys = c.pos0 + c.n_tokens, cap = n_keys + 3;
  const KvData kv(c.n_head_kv, cap, c.hd, n_keys, bf16, g);
  const std::vector<float> q = randn(size_t(c.n_tokens * c.n_head * c.hd), g, c.q_scale);
  const float scale = 1.0f / std::sqrt(float(c.hd));

  auto dq = upload(q);
  auto dk = upload(kv.k), dv = upload(kv.v);
  DeviceBuffer<float> dout(q.size());
  poison(dout);
  PrefillAttentionArgs a;
  a.q = dq.get();
  a.out = dout.get();
  a.kv = kv.device_view(dk.get(), dv.get());
  a.n_tokens = c.n_tokens;
  a.pos0 = c.pos0;
  a.n_head = c.n_head;
  a.n_head_kv = c.n_head_kv;
  a.hd = c.hd;
  a.scale = scale;
  flash_attention(a, compute, nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> out = download(dout.get(), q.size());

  std::vector<double> ref(q.size());
  const int n_gqa = c.n_head / c.n_head_kv;
  for (int64_t i = 0; i < c.n_tokens; ++i)
    for (int h = 0; h < c.n_head; ++h) {
      double lse;
      attend_ref(q.data() + (i * c.n_head + h) * c.hd, kv, h / n_gqa, 0, c.pos0 + i + 1, scale,
                 ref.data() + (i * c.n_head + h) * c.hd, &lse);
    }
  const bool tc = compute == AttentionCompute::TensorCores;
  const double tol = !tc ? 2e-5 : bf16 ? 2e-2 : 3e-3;
  const std::string what = std::string(tc ? (bf16 ? "tensor-core bf16" : "tensor-core f16") : (bf16 ? "f32 (bf16 kv)" : "f32")) +
                           " hd " + std::to_string(c.hd) + " heads " + std::to_string(c.n_head) + "/" +
                           std::to_string(c.n_head_kv) + " pos0 " + std::to_string(c.pos0) + " tokens " +
                           std::to_string(c.n_tokens);
  check_close(out, ref, tol, what + " vs double");

  if (!bf16) {  // the CPU kernel reads f16 rows
    std::vector<const uint16_t*> kh(size_t(c.n_head_kv)), vh(size_t(c.n_head_kv));
    for (int h = 0; h < c.n_head_kv; ++h) {
      kh[size_t(h)] = kv.k.data() + size_t(h * cap * c.hd);
      vh[size_t(h)] = kv.v.data() + size_t(h * cap * c.hd);
    }
    std::vector<float> cpu(q.size());
    CausalAttentionArgs ca{q.data(), cpu.data(), c.n_tokens, c.pos0, c.n_head, c.n_head_kv, c.hd, scale,
                           kh.data(), vh.data(), size_t(c.hd)};
    ThreadPool pool(2);
    causal_attention(ca, pool);
    // the CPU rounds each normalized probability to f16 (llama.cpp's numerics)
    check_close(out, cpu, std::max(tol, 3e-3), what + " vs CPU causal_attention");
  }
}

const PrefillCase kPrefill[] = {
    {64, 4, 4, 0, 1, 1.0f},     {64, 8, 2, 0, 37, 1.0f},   {128, 8, 2, 0, 130, 1.0f},
    {128, 8, 1, 100, 64, 2.0f}, {64, 6, 2, 77, 200, 4.0f}, {128, 4, 4, 1000, 5, 1.0f},
};

}  // namespace

TEST(prefill_tensor_cores_f16) {
  require_device();
  for (const auto& c : kPrefill) run_prefill(c, AttentionCompute::TensorCores, false);
}

TEST(prefill_tensor_cores_bf16) {
  require_device();
  for (const auto& c : kPrefill) run_prefill(c, AttentionCompute::TensorCores, true);
}

TEST(prefill_f32) {
  require_device();
  for (const auto& c : kPrefill) run_prefill(c, AttentionCompute::F32, false);
  run_prefill({128, 8, 2, 3, 40, 1.0f}, AttentionCompute::F32, true);
}

namespace {

struct Decoded {
  std::vector<float> out, lse;
};

Decoded decode_on_device(const KvData& kv, const std::vector<float>& q, int64_t j0, int64_t n, int n_head, float scale) {
  auto dq = upload(q);
  auto dk = upload(kv.k), dv = upload(kv.v);
  DeviceBuffer<float> dout(q.size()), dlse(static_cast<size_t>(n_head));
  poison(dout);
  poison(dlse);
  DecodeAttentionArgs a;
  a.q = dq.get();
  a.kv = kv.device_view(static_cast<const uint16_t*>(dk.get()) + j0 * kv.hd,
                        static_cast<const uint16_t*>(dv.get()) + j0 * kv.hd);
  a.n = n;
  a.n_head = n_head;
  a.n_head_kv = kv.n_kv;
  a.hd = kv.hd;
  a.scale = scale;
  a.out = dout.get();
  a.lse = dlse.get();
  DeviceBuffer<uint8_t> scratch(decode_attention_scratch_bytes(n, n_head, kv.n_kv, kv.hd) + 16);
  decode_attention(a, scratch.get(), scratch.size(), nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  return {download(dout.get(), q.size()), download(dlse.get(), size_t(n_head))};
}

void run_decode(int hd, int n_head, int n_head_kv, int64_t n, bool bf16) {
  std::mt19937 g(seed() + uint32_t(hd * 3 + n_head * 5 + n));
  const KvData kv(n_head_kv, n + 5, hd, n, bf16, g);
  const std::vector<float> q = randn(size_t(n_head * hd), g, 1.5f);
  const float scale = 1.0f / std::sqrt(float(hd));
  const Decoded d = decode_on_device(kv, q, 0, n, n_head, scale);
  const int n_gqa = n_head / n_head_kv;
  const std::string what = std::string(bf16 ? "bf16" : "f16") + " hd " + std::to_string(hd) + " heads " +
                           std::to_string(n_head) + "/" + std::to_string(n_head_kv) + " n " + std::to_string(n);

  std::vector<double> ref(q.size()), ref_lse(static_cast<size_t>(n_head));
  for (int h = 0; h < n_head; ++h)
    attend_ref(q.data() + h * hd, kv, h / n_gqa, 0, n, scale, ref.data() + h * hd, &ref_lse[size_t(h)]);
  if (n == 0) {
    for (int h = 0; h < n_head; ++h) CHECK(d.lse[size_t(h)] == -std::numeric_limits<float>::infinity());
    for (float x : d.out) CHECK_EQ(x, 0.0f);
    return;
  }
  check_close(d.out, ref, 2e-5, what + " out vs double");
  for (int h = 0; h < n_head; ++h) CHECK_NEAR(d.lse[size_t(h)], ref_lse[size_t(h)], 1e-4);

  if (!bf16) {  // against the CPU kernel itself, group by group
    std::vector<float> cpu(q.size()), cpu_lse(static_cast<size_t>(n_head)), scratch;
    for (int gi = 0; gi < n_head_kv; ++gi) {
      const KvRows rows{kv.k.data() + size_t(gi * kv.cap * hd), kv.v.data() + size_t(gi * kv.cap * hd), size_t(hd)};
      attend_rows(q.data() + gi * n_gqa * hd, n_gqa, rows, n, hd, scale, cpu.data() + gi * n_gqa * hd,
                  cpu_lse.data() + gi * n_gqa, scratch);
    }
    check_close(d.out, cpu, 3e-3, what + " out vs attend_rows (which rounds p to f16)");
    check_close(d.lse, cpu_lse, 1e-5, what + " lse vs attend_rows");
  }
}

}  // namespace

TEST(decode_static_set_f16) {
  require_device();
  for (int64_t n : {0, 1, 37, 300, 2176, 9000}) {
    run_decode(128, 32, 8, n, false);
    run_decode(64, 8, 8, n, false);
  }
  run_decode(128, 16, 2, 1000, false);  // 8 query heads per KV head
}

TEST(decode_static_set_bf16) {
  require_device();
  run_decode(128, 32, 8, 2176, true);
  run_decode(64, 12, 4, 333, true);
}

TEST(decode_splits_merge_back) {
  require_device();
  std::mt19937 g(seed() + 11);
  const int hd = 128, n_head = 8, n_kv = 2;
  const int64_t n = 3000, m = 1234;
  const KvData kv(n_kv, n, hd, n, false, g);
  const std::vector<float> q = randn(size_t(n_head * hd), g);
  const float scale = 1.0f / std::sqrt(float(hd));
  const Decoded whole = decode_on_device(kv, q, 0, n, n_head, scale);
  const Decoded a = decode_on_device(kv, q, 0, m, n_head, scale);
  const Decoded b = decode_on_device(kv, q, m, n - m, n_head, scale);
  auto oa = upload(a.out), la = upload(a.lse), ob = upload(b.out), lb = upload(b.lse);
  merge_attention(oa.get(), la.get(), ob.get(), lb.get(), n_head, hd, nullptr);
  check_close(download(oa.get(), a.out.size()), whole.out, 1e-5, "decode [0,m) merged with [m,n) vs [0,n): out");
  check_close(download(la.get(), a.lse.size()), whole.lse, 1e-5, "decode splits: lse");
}

TEST(merge_matches_cpu) {
  require_device();
  std::mt19937 g(seed() + 12);
  const int n_q = 9, hd = 128;
  std::vector<float> oa = randn(size_t(n_q * hd), g), ob = randn(size_t(n_q * hd), g);
  std::vector<float> la = randn(size_t(n_q), g, 5.0f), lb = randn(size_t(n_q), g, 5.0f);
  const float inf = std::numeric_limits<float>::infinity();
  la[1] = -inf;             // a empty: takes b
  lb[2] = -inf;             // b empty: a unchanged
  la[3] = lb[3] = -inf;     // both empty
  la[4] = 80.0f;            // far apart: no overflow
  lb[4] = -80.0f;
  std::vector<float> ref_o = oa, ref_l = la;
  merge_partial(ref_o.data(), ref_l.data(), ob.data(), lb.data(), n_q, hd);
  auto doa = upload(oa), dla = upload(la), dob = upload(ob), dlb = upload(lb);
  merge_attention(doa.get(), dla.get(), dob.get(), dlb.get(), n_q, hd, nullptr);
  check_close(download(doa.get(), oa.size()), ref_o, 1e-6, "merge out");
  const std::vector<float> l = download(dla.get(), la.size());
  for (int i = 0; i < n_q; ++i) {
    if (std::isinf(ref_l[size_t(i)])) CHECK(l[size_t(i)] == ref_l[size_t(i)]);
    else CHECK_NEAR(l[size_t(i)], ref_l[size_t(i)], 1e-5);
  }
}

TOME_TEST_MAIN()
