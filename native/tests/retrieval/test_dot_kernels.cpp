// The retrieval indexes' scoring kernels (dot_kernels.h) against a double
// precision reference, through the entry points the indexes call (AVX2 when
// the CPU has it; the scalar bodies with TOME_FORCE_SCALAR=1). Rows are f16
// (index keys), f32 (centroids) or bf16 (anchor queries); gathers take ids in any order,
// repeated, and counts that are not multiples of the 4-row groups; d covers
// the 8- and 16-lane bodies and their scalar tails. The int8 gather of the
// navigation codes is exact (int32 sums): every body against an int64 sum.
#include <cmath>
#include <vector>

#include "common/fp16.h"
#include "cpu/cpu_features.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/rng.h"
#include "test_harness.h"

using namespace tome;

namespace {

struct Case {
  int d;
  int64_t rows;
  std::vector<float> q, kf;  // query, rows as f32 (f16-exact values)
  std::vector<uint16_t> kh;  // the same rows as f16
  std::vector<int32_t> ids;
};

Case make_case(int d, int64_t rows, uint64_t seed) {
  Case c;
  c.d = d, c.rows = rows;
  Rng rng(seed);
  c.q.resize(size_t(d));
  for (float& x : c.q) x = rng.normal();
  c.kf.resize(size_t(rows) * d);
  c.kh.resize(c.kf.size());
  for (size_t i = 0; i < c.kf.size(); ++i) {
    c.kh[i] = fp32_to_fp16(3.0f * rng.normal());
    c.kf[i] = fp16_to_fp32(c.kh[i]);
  }
  for (int64_t i = 0; i < rows + 3; ++i) c.ids.push_back(int32_t((i * 7919 + 13) % rows));  // scattered, repeats
  return c;
}

double ref_dot(const Case& c, int64_t r) {
  double s = 0;
  for (int i = 0; i < c.d; ++i) s += double(c.q[size_t(i)]) * c.kf[size_t(r) * c.d + i];
  return s;
}
double ref_l2(const Case& c, int64_t r) {
  double s = 0;
  for (int i = 0; i < c.d; ++i) {
    const double t = double(c.q[size_t(i)]) - c.kf[size_t(r) * c.d + i];
    s += t * t;
  }
  return s;
}
// float sums in another order: within a few ulps of the magnitudes summed
double tol(const Case& c, int64_t r) {
  double m = 0;
  for (int i = 0; i < c.d; ++i) m += std::fabs(double(c.q[size_t(i)]) * c.kf[size_t(r) * c.d + i]);
  return 1e-6 * (m + 1.0) * c.d;
}

}  // namespace

TEST(f16_and_f32_row_kernels_match_double_reference) {
  for (int d : {1, 7, 8, 15, 16, 33, 64, 128}) {
    const Case c = make_case(d, 37, uint64_t(d));
    std::vector<float> out(c.ids.size());
    dots_rows_h(c.q.data(), c.kh.data(), size_t(d), c.rows, d, out.data());
    for (int64_t r = 0; r < c.rows; ++r) CHECK_NEAR(out[size_t(r)], ref_dot(c, r), tol(c, r));
    dots_rows(c.q.data(), c.kf.data(), size_t(d), c.rows, d, out.data());
    for (int64_t r = 0; r < c.rows; ++r) CHECK_NEAR(out[size_t(r)], ref_dot(c, r), tol(c, r));
    const int64_t n = int64_t(c.ids.size());
    dots_gather_h(c.q.data(), c.kh.data(), size_t(d), c.ids.data(), n, d, out.data());
    for (int64_t i = 0; i < n; ++i) CHECK_NEAR(out[size_t(i)], ref_dot(c, c.ids[size_t(i)]), tol(c, c.ids[size_t(i)]));
    l2_gather_h(c.q.data(), c.kh.data(), size_t(d), c.ids.data(), n, d, out.data());
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = c.ids[size_t(i)];
      CHECK_NEAR(out[size_t(i)], ref_l2(c, r), 1e-5 * (ref_l2(c, r) + 1.0));
    }
    CHECK_NEAR(l2_sq_h(c.q.data(), c.kh.data() + size_t(5) * d, d), ref_l2(c, 5), 1e-5 * (ref_l2(c, 5) + 1.0));
    CHECK_NEAR(l2_sq(c.q.data(), c.kf.data() + size_t(5) * d, d), ref_l2(c, 5), 1e-5 * (ref_l2(c, 5) + 1.0));
    l2_rows(c.q.data(), c.kf.data(), size_t(d), c.rows, d, out.data());  // 37 rows: groups of 4 and one alone
    for (int64_t r = 0; r < c.rows; ++r) CHECK_NEAR(out[size_t(r)], ref_l2(c, r), 1e-5 * (ref_l2(c, r) + 1.0));
  }
}

// Anchor queries are bf16 rows: the kernel's sums are dots_rows' over the
// widened rows, bit for bit (the same order), so storing the captured bf16
// query rows as bf16 changes no score.
TEST(bf16_row_kernel_equals_f32_rows_widened) {
  for (int d : {1, 7, 8, 15, 16, 33, 64, 128}) {
    Rng rng(uint64_t(100 + d));
    const int64_t rows = 37;  // groups of 4 and one alone
    std::vector<float> q(static_cast<size_t>(d)), wide(static_cast<size_t>(rows * d));
    std::vector<uint16_t> b(wide.size());
    for (float& x : q) x = rng.normal();
    for (size_t i = 0; i < b.size(); ++i) {
      b[i] = fp32_to_bf16(5.0f * rng.normal());
      wide[i] = bf16_to_fp32(b[i]);
    }
    std::vector<float> got(static_cast<size_t>(rows)), want(static_cast<size_t>(rows));
    dots_rows_bf16(q.data(), b.data(), size_t(d), rows, d, got.data());
    dots_rows(q.data(), wide.data(), size_t(d), rows, d, want.data());
    for (int64_t r = 0; r < rows; ++r) {
      CHECK_EQ(got[size_t(r)], want[size_t(r)]);
      double ref = 0, mag = 0;
      for (int i = 0; i < d; ++i) {
        ref += double(q[size_t(i)]) * wide[size_t(r) * d + i];
        mag += std::fabs(double(q[size_t(i)]) * wide[size_t(r) * d + i]);
      }
      CHECK_NEAR(got[size_t(r)], ref, 1e-6 * (mag + 1.0) * d);
    }
  }
}

// Code rows of dp values (a multiple of 32) `stride` bytes apart, values over
// the whole range [-127, 127] (extremes included), ids scattered and repeated,
// counts with and without a 4-row remainder.
TEST(int8_gather_is_exact) {
  for (int dp : {32, 64, 96, 128, 256})
    for (int pad : {0, 32}) {
      const int stride = dp + pad;
      const int64_t rows = 41;
      Rng rng(uint64_t(dp * 7 + pad));
      std::vector<int8_t> q(static_cast<size_t>(dp)), base(static_cast<size_t>(rows) * stride);
      auto draw = [&]() { return int8_t(int(rng.below(255)) - 127); };
      for (int8_t& x : q) x = draw();
      for (int8_t& x : base) x = draw();
      for (int i = 0; i < dp; i += 5) q[size_t(i)] = (i / 5) % 2 ? 127 : -127;
      for (int i = 0; i < dp; ++i) base[size_t(3) * stride + i] = q[size_t(i)] < 0 ? -127 : 127;  // largest sum
      std::vector<int32_t> ids;
      for (int64_t i = 0; i < rows + 6; ++i) ids.push_back(int32_t((i * 7919 + 13) % rows));
      ids.push_back(3);
      for (int64_t n : {int64_t(0), int64_t(1), int64_t(3), int64_t(4), int64_t(7), int64_t(ids.size())}) {
        std::vector<int32_t> got(size_t(n) + 1, -1), ref(size_t(n) + 1, -1);
        for (int64_t i = 0; i < n; ++i) {
          int64_t s = 0;
          const int8_t* r = base.data() + size_t(ids[size_t(i)]) * stride;
          for (int j = 0; j < dp; ++j) s += int64_t(q[size_t(j)]) * r[j];
          ref[size_t(i)] = int32_t(s);
        }
        dots_gather_i8(q.data(), base.data(), size_t(stride), ids.data(), n, dp, got.data());
        CHECK(got == ref);  // the entry point (scalar under TOME_FORCE_SCALAR)
        const CpuFeatures& f = cpu_features();
        if (f.avx2) {
          std::fill(got.begin(), got.end(), -1);
          avx2::dots_gather_i8(q.data(), base.data(), size_t(stride), ids.data(), n, dp, got.data());
          CHECK(got == ref);
        }
        if (f.avx512vnni) {
          std::fill(got.begin(), got.end(), -1);
          vnni::dots_gather_i8(q.data(), base.data(), size_t(stride), ids.data(), n, dp, got.data());
          CHECK(got == ref);
        }
        if (f.avxvnni) {
          std::fill(got.begin(), got.end(), -1);
          avxvnni::dots_gather_i8(q.data(), base.data(), size_t(stride), ids.data(), n, dp, got.data());
          CHECK(got == ref);
        }
        // several query codes at once (heads 1..6: a partial four too), each against the one-head sums
        for (int n_q : {1, 2, 4, 6}) {
          std::vector<int8_t> qs(size_t(n_q) * size_t(dp));
          for (int8_t& x : qs) x = draw();
          std::copy(q.begin(), q.end(), qs.begin());  // head 0 holds the extremes
          std::vector<int32_t> want(size_t(n_q) * size_t(n) + 1, -1);
          for (int h = 0; h < n_q; ++h)
            for (int64_t i = 0; i < n; ++i) {
              int64_t sum = 0;
              const int8_t* r = base.data() + size_t(ids[size_t(i)]) * stride;
              for (int j = 0; j < dp; ++j) sum += int64_t(qs[size_t(h) * dp + j]) * r[j];
              want[size_t(h) * size_t(n) + size_t(i)] = int32_t(sum);
            }
          std::vector<int32_t> all(want.size(), -1);
          dots_gather_i8_multi(qs.data(), n_q, base.data(), size_t(stride), ids.data(), n, dp, all.data());
          CHECK(all == want);
          if (f.avx2) {
            std::fill(all.begin(), all.end(), -1);
            avx2::dots_gather_i8_multi(qs.data(), n_q, base.data(), size_t(stride), ids.data(), n, dp, all.data());
            CHECK(all == want);
          }
          if (f.avx512vnni) {
            std::fill(all.begin(), all.end(), -1);
            vnni::dots_gather_i8_multi(qs.data(), n_q, base.data(), size_t(stride), ids.data(), n, dp, all.data());
            CHECK(all == want);
          }
          if (f.avxvnni) {
            std::fill(all.begin(), all.end(), -1);
            avxvnni::dots_gather_i8_multi(qs.data(), n_q, base.data(), size_t(stride), ids.data(), n, dp, all.data());
            CHECK(all == want);
          }
        }
      }
    }
}

TOME_TEST_MAIN()
