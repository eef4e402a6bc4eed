// Attention: partial results against a double-precision reference (q and the
// probabilities rounded to f16 as llama.cpp rounds them, see reference()), exact
// log-sum-exp merge on hand-made cases, split merges equal the whole, and the
// causal kernel (blocked, online softmax) against the reference.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "attention/causal_attention.h"
#include "attention/partial_attention.h"
#include "attention/vec_kernels.h"
#include "common/fp16.h"
#include "cpu/cpu_features.h"
#include "cpu/thread_pool.h"
#include "test_harness.h"

using namespace tome;

namespace {

struct Kv {
  int n, hd;
  std::vector<uint16_t> k, v;
  Kv(int n_, int hd_, uint32_t seed) : n(n_), hd(hd_), k(size_t(n_) * hd_), v(size_t(n_) * hd_) {
    std::mt19937 g(seed);
    std::normal_distribution<float> d(0, 1);
    for (auto& x : k) x = fp32_to_fp16(d(g));
    for (auto& x : v) x = fp32_to_fp16(d(g));
  }
  KvRows rows() const { return {k.data(), v.data(), size_t(hd)}; }
};

// Reference in double over rows idx, with q rounded to f16 as the kernels (and
// llama.cpp) round it. The kernels also round each probability p_j to f16 before
// weighting V, which moves out[d] by at most 2^-11 sum_j p_j |v_jd| (relative
// rounding of normal f16) plus 2^-25 sum_j |v_jd| (p_j below f16's normal range):
// bound[d] holds that limit, to which the tests add float summation error.
void reference(const float* q, const Kv& kv, const std::vector<int>& idx, float scale, std::vector<double>& out,
               double& lse, std::vector<double>* bound = nullptr) {
  std::vector<double> s(idx.size());
  double m = -INFINITY;
  for (size_t j = 0; j < idx.size(); ++j) {
    double d = 0;
    for (int i = 0; i < kv.hd; ++i)
      d += double(fp16_to_fp32(fp32_to_fp16(q[i]))) * fp16_to_fp32(kv.k[size_t(idx[j]) * kv.hd + i]);
    s[j] = scale * d;
    m = std::max(m, s[j]);
  }
  double sum = 0;
  for (double x : s) sum += std::exp(x - m);
  lse = m + std::log(sum);
  out.assign(size_t(kv.hd), 0.0);
  if (bound) bound->assign(size_t(kv.hd), 0.0);
  for (size_t j = 0; j < idx.size(); ++j)
    for (int i = 0; i < kv.hd; ++i) {
      const double p = std::exp(s[j] - lse), v = fp16_to_fp32(kv.v[size_t(idx[j]) * kv.hd + i]);
      out[size_t(i)] += p * v;
      if (bound) (*bound)[size_t(i)] += std::ldexp(p * std::fabs(v), -11) + std::ldexp(std::fabs(v), -25);
    }
}

std::vector<float> random_q(int n, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0, 1);
  std::vector<float> q(static_cast<size_t>(n));
  for (auto& x : q) x = d(g);
  return q;
}

void both_paths(const std::function<void()>& body) {
  set_force_scalar(true);
  body();
  set_force_scalar(false);
  body();
}

}  // namespace

TEST(attend_rows_matches_double_reference) {
  both_paths([] {
    Kv kv(300, 64, 1);
    auto q = random_q(3 * 64, 2);
    std::vector<float> out(3 * 64), lse(3), scratch;
    attend_rows(q.data(), 3, kv.rows(), 300, 64, 0.125f, out.data(), lse.data(), scratch);
    std::vector<int> all(300);
    for (int i = 0; i < 300; ++i) all[size_t(i)] = i;
    for (int h = 0; h < 3; ++h) {
      std::vector<double> ref, bound;
      double ref_lse;
      reference(q.data() + h * 64, kv, all, 0.125f, ref, ref_lse, &bound);
      CHECK_NEAR(lse[size_t(h)], ref_lse, 1e-5);
      for (int i = 0; i < 64; ++i) CHECK_NEAR(out[size_t(h * 64 + i)], ref[size_t(i)], bound[size_t(i)] + 1e-6);
    }
  });
}

TEST(merge_of_disjoint_parts_equals_the_whole) {
  both_paths([] {
    Kv kv(257, 32, 3);
    auto q = random_q(2 * 32, 4);
    float scale = 1.0f / std::sqrt(32.0f);
    std::vector<float> whole(64), lw(2), scratch;
    attend_rows(q.data(), 2, kv.rows(), 257, 32, scale, whole.data(), lw.data(), scratch);
    // evens and odds by gather, merged
    std::vector<int32_t> even, odd;
    for (int i = 0; i < 257; ++i) (i % 2 ? odd : even).push_back(i);
    std::vector<float> a(64), la(2), b(64), lb(2);
    attend_gather(q.data(), 2, kv.rows(), even.data(), int64_t(even.size()), 32, scale, a.data(), la.data(), scratch);
    attend_gather(q.data(), 2, kv.rows(), odd.data(), int64_t(odd.size()), 32, scale, b.data(), lb.data(), scratch);
    merge_partial(a.data(), la.data(), b.data(), lb.data(), 2, 32);
    // each side is within the f16-probability bound of the exact result
    std::vector<int> all(257);
    for (int i = 0; i < 257; ++i) all[size_t(i)] = i;
    for (int h = 0; h < 2; ++h) {
      std::vector<double> ref, bound;
      double ref_lse;
      reference(q.data() + h * 32, kv, all, scale, ref, ref_lse, &bound);
      for (int i = 0; i < 32; ++i)
        CHECK_NEAR(a[size_t(h * 32 + i)], whole[size_t(h * 32 + i)], 2 * bound[size_t(i)] + 2e-6);
    }
    for (int h = 0; h < 2; ++h) CHECK_NEAR(la[size_t(h)], lw[size_t(h)], 2e-6);
  });
}

TEST(merge_hand_made_cases) {
  // Two single-key parts with scores 0 and log 3: weights 1/4 and 3/4.
  float oa[2] = {1, 0}, la[1] = {0};
  float ob[2] = {0, 1}, lb[1] = {std::log(3.0f)};
  merge_partial(oa, la, ob, lb, 1, 2);
  CHECK_NEAR(oa[0], 0.25, 1e-7);
  CHECK_NEAR(oa[1], 0.75, 1e-7);
  CHECK_NEAR(la[0], std::log(4.0), 1e-6);
  // An empty part (lse = -inf) is the identity, on either side.
  float oc[2] = {5, 6}, lc[1] = {2};
  float empty_o[2] = {0, 0}, empty_l[1] = {-std::numeric_limits<float>::infinity()};
  merge_partial(oc, lc, empty_o, empty_l, 1, 2);
  CHECK_EQ(oc[0], 5.0f);
  CHECK_EQ(lc[0], 2.0f);
  merge_partial(empty_o, empty_l, oc, lc, 1, 2);
  CHECK_EQ(empty_o[1], 6.0f);
  CHECK_EQ(empty_l[0], 2.0f);
  // Huge scores do not overflow: lse 1000 and 1000 merge to 1000 + log 2.
  float od[1] = {1}, ld[1] = {1000}, oe[1] = {3}, le[1] = {1000};
  merge_partial(od, ld, oe, le, 1, 1);
  CHECK_NEAR(od[0], 2.0, 1e-6);
  CHECK_NEAR(ld[0], 1000 + std::log(2.0), 1e-3);
}

TEST(empty_attention_is_the_merge_identity) {
  Kv kv(1, 8, 5);
  auto q = random_q(8, 6);
  std::vector<float> out(8, 7.0f), lse(1), scratch;
  attend_rows(q.data(), 1, kv.rows(), 0, 8, 1.0f, out.data(), lse.data(), scratch);
  CHECK(std::isinf(lse[0]) && lse[0] < 0);
  for (float v : out) CHECK_EQ(v, 0.0f);
}

TEST(causal_attention_matches_reference_for_prefill_and_decode) {
  both_paths([] {
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      const int n_head = 4, n_kv = 2, hd = 32, n_ctx = 150;
      std::vector<Kv> heads;
      for (int g = 0; g < n_kv; ++g) heads.emplace_back(n_ctx, hd, 10 + g);
      for (int64_t pos0 : {0, 37, 149}) {
        const int64_t n_tok = pos0 == 149 ? 1 : n_ctx - pos0;
        auto q = random_q(int(n_tok) * n_head * hd, uint32_t(pos0 + threads));
        std::vector<float> out(q.size());
        std::vector<const uint16_t*> kp, vp;
        for (auto& h : heads) { kp.push_back(h.k.data()); vp.push_back(h.v.data()); }
        CausalAttentionArgs a{q.data(), out.data(), n_tok, pos0, n_head, n_kv, hd, 0.2f, kp.data(), vp.data(), size_t(hd)};
        causal_attention(a, pool);
        for (int64_t i = 0; i < n_tok; ++i)
          for (int h = 0; h < n_head; ++h) {
            std::vector<int> idx;
            for (int j = 0; j <= pos0 + i; ++j) idx.push_back(j);
            std::vector<double> ref, bound;
            double lse;
            reference(q.data() + (i * n_head + h) * hd, heads[size_t(h / 2)], idx, 0.2f, ref, lse, &bound);
            for (int d = 0; d < hd; ++d)
              CHECK_NEAR(out[size_t((i * n_head + h) * hd + d)], ref[size_t(d)], bound[size_t(d)] + 1e-6);
          }
      }
    }
  });
}

// n_kv KV groups of n_ctx rows (seeds seed, seed + 1, ..) and their K and V row pointers,
// as CausalAttentionArgs takes them.
struct KvGroups {
  std::vector<Kv> heads;
  std::vector<const uint16_t*> k, v;
  KvGroups(int n_kv, int n_ctx, int hd, uint32_t seed) {
    for (int g = 0; g < n_kv; ++g) heads.emplace_back(n_ctx, hd, seed + uint32_t(g));
    for (const Kv& h : heads) {
      k.push_back(h.k.data());
      v.push_back(h.v.data());
    }
  }
};

// A sliding window (gemma3's local layers): the query at position p attends keys
// (p - window, p] only, in the prefill tiles and in the decode step whose threads
// split a long context's keys (from 2048 keys), the window inside one thread's
// range or across both.
TEST(causal_attention_with_a_sliding_window_matches_reference) {
  both_paths([] {
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      const int n_head = 4, n_kv = 2, hd = 32;
      for (int n_ctx : {150, 2100}) {
        const KvGroups kv(n_kv, n_ctx, hd, 20);
        const std::vector<Kv>& heads = kv.heads;
        for (int64_t window : {1, 20, 1500}) {
          for (int64_t pos0 : {int64_t(0), int64_t(37), int64_t(n_ctx - 1)}) {
            if (n_ctx > 150 && pos0 != n_ctx - 1) continue;  // the long context: its decode step
            const int64_t n_tok = pos0 == n_ctx - 1 ? 1 : n_ctx - pos0;
            auto q = random_q(int(n_tok) * n_head * hd, uint32_t(pos0 + window + threads));
            std::vector<float> out(q.size());
            CausalAttentionArgs a{q.data(), out.data(), n_tok, pos0, n_head, n_kv, hd, 0.2f, kv.k.data(), kv.v.data(), size_t(hd)};
            a.window = window;
            causal_attention(a, pool);
            for (int64_t i = 0; i < n_tok; ++i)
              for (int h = 0; h < n_head; ++h) {
                std::vector<int> idx;
                for (int64_t j = std::max<int64_t>(0, pos0 + i + 1 - window); j <= pos0 + i; ++j) idx.push_back(int(j));
                std::vector<double> ref, bound;
                double lse;
                reference(q.data() + (i * n_head + h) * hd, heads[size_t(h / 2)], idx, 0.2f, ref, lse, &bound);
                for (int d = 0; d < hd; ++d)
                  CHECK_NEAR(out[size_t((i * n_head + h) * hd + d)], ref[size_t(d)], bound[size_t(d)] + 1e-6);
              }
          }
        }
      }
    }
  });
}

// A sliding window's masked key blocks are skipped (CausalAttentionArgs::skip_masked):
// the same bits as scoring and masking every key, in prefill tiles whose first query's
// window starts past one or several 64-key blocks, and in the split decode step
// (whose threads' ranges then start at the first kept block, or are empty).
TEST(causal_attention_skipping_masked_blocks_keeps_every_bit) {
  both_paths([] {
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      const int n_head = 4, n_kv = 2, hd = 64;
      for (int n_ctx : {1300, 5000}) {
        const KvGroups kv(n_kv, n_ctx, hd, 40);
        for (int64_t window : {1, 20, 300, 1000}) {
          for (int64_t pos0 : {int64_t(0), int64_t(700), int64_t(n_ctx - 1)}) {
            if (n_ctx > 1300 && pos0 != n_ctx - 1) continue;  // the long context: its decode step
            const int64_t n_tok = pos0 == n_ctx - 1 ? 1 : n_ctx - pos0;
            auto q = random_q(int(n_tok) * n_head * hd, uint32_t(pos0 + window + threads));
            std::vector<float> skipped(q.size()), scored(q.size());
            CausalAttentionArgs a{q.data(), skipped.data(), n_tok, pos0, n_head, n_kv, hd, 0.125f, kv.k.data(), kv.v.data(), size_t(hd)};
            a.window = window;
            causal_attention(a, pool);
            a.out = scored.data();
            a.skip_masked = false;
            causal_attention(a, pool);
            CHECK(std::memcmp(skipped.data(), scored.data(), skipped.size() * sizeof(float)) == 0);
          }
        }
      }
    }
  });
}

// A decode step's key weights (CausalAttentionArgs::key_weights): each key's
// probability summed over its group's heads, against the double reference's
// probabilities (the kernel rounds each to f16, a relative 2^-11, as llama.cpp
// does), with the same output bits as a step without them, in the one-job-a-group
// decode (short contexts, or one thread) and the decode whose threads split keys.
TEST(causal_decode_key_weights_match_reference_probabilities) {
  both_paths([] {
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      const int n_head = 6, n_kv = 2, hd = 64, n_gqa = n_head / n_kv;
      for (int n_ctx : {1, 300, 2500}) {
        const KvGroups kv(n_kv, n_ctx, hd, 60);
        auto q = random_q(n_head * hd, uint32_t(n_ctx + threads));
        std::vector<float> plain(q.size()), weighed(q.size());
        std::vector<float> w(size_t(n_kv) * size_t(n_ctx), -1.0f);
        CausalAttentionArgs a{q.data(), plain.data(), 1, n_ctx - 1, n_head, n_kv, hd, 0.3f, kv.k.data(), kv.v.data(), size_t(hd)};
        causal_attention(a, pool);
        a.out = weighed.data();
        a.key_weights = w.data();
        causal_attention(a, pool);
        CHECK(std::memcmp(plain.data(), weighed.data(), plain.size() * sizeof(float)) == 0);
        std::vector<int> idx(static_cast<size_t>(n_ctx));
        for (int j = 0; j < n_ctx; ++j) idx[size_t(j)] = j;
        for (int g = 0; g < n_kv; ++g) {
          std::vector<double> ref(static_cast<size_t>(n_ctx), 0.0), out;
          for (int hh = 0; hh < n_gqa; ++hh) {
            const float* qh = q.data() + size_t(g * n_gqa + hh) * hd;
            double lse;
            reference(qh, kv.heads[size_t(g)], idx, 0.3f, out, lse);
            for (int j = 0; j < n_ctx; ++j) {
              double d = 0;
              for (int i = 0; i < hd; ++i)
                d += double(fp16_to_fp32(fp32_to_fp16(qh[i]))) * fp16_to_fp32(kv.heads[size_t(g)].k[size_t(j) * hd + i]);
              ref[size_t(j)] += std::exp(0.3 * d - lse);
            }
          }
          double total = 0;
          for (int j = 0; j < n_ctx; ++j) {
            const double got = w[size_t(g) * n_ctx + j];
            total += got;
            CHECK_NEAR(got, ref[size_t(j)], ref[size_t(j)] * 1e-3 + 1e-6);
          }
          CHECK_NEAR(total, double(n_gqa), 1e-2);  // each head's probabilities sum to one
        }
      }
    }
  });
}

// Partial attention follows llama.cpp's one-query order like the decode step of
// causal_attention (several-keys kernels where they apply, row by row otherwise),
// so over the whole context both give the same bits, in contiguous and gathered form.
TEST(partial_attention_equals_causal_decode_bit_for_bit) {
  both_paths([] {
    ThreadPool pool(2);
    const int n_head = 3, hd = 64;
    for (int n_ctx : {1, 77, 300, 2500}) {  // 2500: the decode splits keys across threads
      Kv kv(n_ctx, hd, uint32_t(n_ctx));
      auto q = random_q(n_head * hd, 5);
      std::vector<float> causal(q.size()), rows(q.size()), gathered(q.size()), lse(n_head), scratch;
      const uint16_t* kp = kv.k.data();
      const uint16_t* vp = kv.v.data();
      CausalAttentionArgs a{q.data(), causal.data(), 1, n_ctx - 1, n_head, 1, hd, 0.125f, &kp, &vp, size_t(hd)};
      causal_attention(a, pool);
      attend_rows(q.data(), n_head, kv.rows(), n_ctx, hd, 0.125f, rows.data(), lse.data(), scratch);
      std::vector<int32_t> all(static_cast<size_t>(n_ctx));
      for (int j = 0; j < n_ctx; ++j) all[size_t(j)] = j;
      attend_gather(q.data(), n_head, kv.rows(), all.data(), n_ctx, hd, 0.125f, gathered.data(), lse.data(), scratch);
      for (size_t i = 0; i < q.size(); ++i) {
        CHECK_EQ(rows[i], causal[i]);
        CHECK_EQ(gathered[i], causal[i]);
      }
    }
  });
}

TEST(vec_kernels_simd_matches_scalar) {
  auto a = random_q(1000, 9), b = random_q(1000, 10);
  set_force_scalar(true);
  float s_scalar = dot_f32(a.data(), b.data(), 1000);
  std::vector<uint16_t> h_scalar(1000), h_simd(1000);
  f32_to_f16_row(a.data(), h_scalar.data(), 1000);
  set_force_scalar(false);
  float s_simd = dot_f32(a.data(), b.data(), 1000);
  f32_to_f16_row(a.data(), h_simd.data(), 1000);
  CHECK_NEAR(s_scalar, s_simd, 1e-3);
  CHECK(h_scalar == h_simd);  // conversions are bit-exact on both paths
  std::vector<float> back_scalar(1000), back_simd(1000);
  set_force_scalar(true);
  f16_to_f32_row(h_scalar.data(), back_scalar.data(), 1000);
  set_force_scalar(false);
  f16_to_f32_row(h_scalar.data(), back_simd.data(), 1000);
  CHECK(back_scalar == back_simd);
}

// max_f32 gives the bits std::max_element's value has, at every length (the
// vector body, its 8-lane tail and its scalar tail) and where its lanes could
// disagree with the scalar loop: NaNs (first, inside, everywhere), a largest
// value of +0 or -0 (either may come first), -inf rows, the largest in the tail.
TEST(max_f32_matches_max_element) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  auto expect_same = [](const std::vector<float>& x, const std::string& what) {
    uint32_t want, got;
    const float w = *std::max_element(x.begin(), x.end()), g = max_f32(x.data(), int64_t(x.size()));
    std::memcpy(&want, &w, 4);
    std::memcpy(&got, &g, 4);
    if (want != got)
      TOME_FAIL(what + " n " + std::to_string(x.size()) + ": " + std::to_string(g) + " vs " + std::to_string(w));
  };
  std::mt19937 rng(5);
  for (int n : {1, 7, 8, 31, 32, 33, 39, 40, 63, 64, 65, 100, 1000, 4097}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = std::uniform_real_distribution<float>(-50.0f, 10.0f)(rng);
    expect_same(x, "random");
    x.back() = 20.0f;  // the largest in the scalar tail
    expect_same(x, "last largest");
    std::vector<float> y = x;
    y[0] = nan;
    expect_same(y, "NaN first");
    y = x;
    y[size_t(n / 2)] = nan;
    expect_same(y, "NaN inside");
    y.assign(size_t(n), nan);
    expect_same(y, "all NaN");
    y.assign(size_t(n), -inf);
    expect_same(y, "all -inf");
    for (float first : {0.0f, -0.0f}) {  // zeros of both signs, the largest values
      y.assign(size_t(n), -1.0f);
      for (size_t i = 0; i < y.size(); i += 3) y[i] = i % 2 ? -first : first;
      expect_same(y, "signed zeros");
    }
  }
  set_force_scalar(true);
  const std::vector<float> z = {-3.0f, 2.0f, nan, 1.0f};
  CHECK(max_f32(z.data(), 4) == 2.0f);
  set_force_scalar(false);
}

TOME_TEST_MAIN()
