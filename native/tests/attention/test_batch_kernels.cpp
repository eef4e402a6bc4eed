// The batch kernels against the one-at-a-time sums they replace, bit for bit:
// dots_batch vs ordered_dot, pv_batch vs OrderedAccumulator, the AVX2 and (where
// the CPU has it) the AVX-512 build of each, with 8 and 16
// lanes (prefill on AVX2 and AVX-512 builds of llama.cpp) and 32, 64 (decode),
// over head dims 16..256, key
// counts that are and are not multiples of 8, and values spanning many
// magnitudes (so any change of order would show).
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "attention/batch_kernels.h"
#include "attention/sum_order.h"
#include "attention/vec_kernels.h"
#include "attention/vector_exp.h"
#include "attention/vector_exp_impl.h"
#include "cpu/cpu_features.h"
#include "test_harness.h"

using namespace tome;

namespace {

std::vector<float> values(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0, 1);
  std::uniform_int_distribution<int> e(-12, 12);
  std::vector<float> v(n);
  for (float& x : v) x = std::ldexp(d(g), e(g));
  return v;
}

bool same_bits(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

}  // namespace

bool simd() { return cpu_features().avx2 && cpu_features().fma; }

// The kernel builds this CPU runs: AVX2, and AVX-512 where it has it.
struct Build {
  const char* name;
  const BatchKernels* k;
};
std::vector<Build> builds() {
  std::vector<Build> b{{"avx2", &avx2::batch_kernels()}};
  if (cpu_features().avx512)
    b.push_back({"avx512", &avx512::batch_kernels()});
  else
    std::printf("  (no AVX-512 here: its kernels are not run)\n");
  return b;
}

// Key counts below, at and past the AVX-512 kernels' 16 keys a pass (the rest by AVX2).
TEST(dots_batch_equals_ordered_dot) {
  if (!simd()) SKIP("no AVX2+FMA here");
  for (const Build& build : builds())
    for (int lanes : {8, 16, 32, 64})
      for (int hd : {16, 48, 64, 80, 128, 256}) {
        if (hd % lanes) continue;
        for (int64_t nb : {1, 7, 8, 13, 16, 17, 33, 64, 77}) {
          const auto q = values(size_t(hd), uint32_t(hd + nb));
          const auto k = values(size_t(hd * nb), uint32_t(3 * hd + nb));
          std::vector<float> fast(static_cast<size_t>(nb)), ref(static_cast<size_t>(nb));
          build.k->dots(q.data(), k.data(), nb, hd, lanes, 0.125f, fast.data());
          for (int64_t j = 0; j < nb; ++j)
            ref[size_t(j)] = 0.125f * ordered_dot(q.data(), k.data() + j * hd, hd, SumOrder{lanes, false});
          if (!same_bits(fast.data(), ref.data(), size_t(nb)))
            std::printf("  %s: lanes %d, hd %d, %lld keys\n", build.name, lanes, hd, (long long)nb);
          CHECK(same_bits(fast.data(), ref.data(), size_t(nb)));
        }
      }
}

TEST(pv_batch_equals_ordered_accumulator) {
  if (!simd()) SKIP("no AVX2+FMA here");
  for (const Build& build : builds())
    for (int lanes : {8, 16, 64})
      for (int hd : {16, 24, 64, 80, 128, 256}) {
        for (int64_t n : {1, 5, 8, 64, 100, 200}) {
          const auto p = values(size_t(n), uint32_t(n));
          const auto v = values(size_t(n * hd), uint32_t(n + hd));
          OrderedAccumulator ref, fast;
          ref.reset(SumOrder{lanes, false}, hd);
          fast.reset(SumOrder{lanes, false}, hd);
          for (int64_t j = 0; j < n; ++j) ref.add(j, p[size_t(j)], v.data() + j * hd);
          // in blocks of 64 keys, as the prefill tile calls it
          for (int64_t j0 = 0; j0 < n; j0 += 64)
            build.k->pv(fast.lane_rows(), p.data() + j0, v.data() + j0 * hd, std::min<int64_t>(64, n - j0), hd, lanes);
          std::vector<float> a(static_cast<size_t>(hd)), b(static_cast<size_t>(hd));
          ref.finish(a.data());
          fast.finish(b.data());
          if (!same_bits(a.data(), b.data(), size_t(hd)))
            std::printf("  %s: lanes %d, hd %d, %lld keys\n", build.name, lanes, hd, (long long)n);
          CHECK(same_bits(a.data(), b.data(), size_t(hd)));
        }
      }
}

// pv_rows (a prefill tile's rows that see a whole block, four at a time on
// AVX-512) against one AVX2 pv_batch per row: row counts that are and are not
// multiples of four, head dims it takes whole (64, 128) and not (80).
TEST(pv_rows_equals_one_pv_batch_per_row) {
  if (!simd()) SKIP("no AVX2+FMA here");
  for (const Build& build : builds())
    for (int lanes : {8, 16, 64})
      for (int hd : {64, 80, 128})
        for (int n_rows : {1, 3, 4, 9})
          for (int64_t nb : {37, 64}) {
            const auto v = values(size_t(nb * hd), uint32_t(hd + nb));
            std::vector<std::vector<float>> p, acc_a, acc_b;
            for (int i = 0; i < n_rows; ++i) {
              p.push_back(values(size_t(nb), uint32_t(100 + i)));
              acc_a.push_back(values(size_t(lanes) * hd, uint32_t(200 + i)));  // mid-sum, as after earlier blocks
              acc_b.push_back(acc_a.back());
            }
            std::vector<float*> rows(size_t(n_rows), nullptr);
            std::vector<const float*> ps(size_t(n_rows), nullptr);
            for (int i = 0; i < n_rows; ++i) {
              avx2::pv_batch(acc_a[size_t(i)].data(), p[size_t(i)].data(), v.data(), nb, hd, lanes);
              rows[size_t(i)] = acc_b[size_t(i)].data();
              ps[size_t(i)] = p[size_t(i)].data();
            }
            build.k->pv_rows(rows.data(), ps.data(), n_rows, v.data(), nb, hd, lanes);
            bool same = true;
            for (int i = 0; i < n_rows; ++i)
              same = same && same_bits(acc_a[size_t(i)].data(), acc_b[size_t(i)].data(), acc_a[size_t(i)].size());
            if (!same)
              std::printf("  %s: lanes %d, hd %d, %d rows, %lld keys\n", build.name, lanes, hd, n_rows, (long long)nb);
            CHECK(same);
          }
}

// The f16-row kernels (reading the KV cache directly, rows a stride apart)
// equal the AVX2 f32 ones on the widened rows, bit for bit; column ranges of
// pv_batch_cols_h (whole registers or not) together equal one pv_batch.
TEST(f16_row_kernels_equal_f32_kernels_on_widened_rows) {
  if (!simd()) SKIP("no AVX2+FMA here");
  for (const Build& build : builds())
    for (int lanes : {8, 16, 32, 64})
      for (int hd : {64, 128}) {
        if (hd % lanes) continue;
        const int64_t nb = 77;
        const size_t stride = size_t(hd) + 8;  // rows not back to back
        const auto q = values(size_t(hd), uint32_t(hd));
        const auto raw = values(size_t(nb) * stride, uint32_t(lanes + hd));
        std::vector<uint16_t> h(raw.size());
        f32_to_f16_row(raw.data(), h.data(), int64_t(raw.size()));
        std::vector<float> wide(size_t(nb) * hd);  // packed (nb, hd) f32
        for (int64_t j = 0; j < nb; ++j) f16_to_f32_row(h.data() + j * stride, wide.data() + j * hd, hd);
        std::vector<float> a(static_cast<size_t>(nb)), b(static_cast<size_t>(nb));
        avx2::dots_batch(q.data(), wide.data(), nb, hd, lanes, 0.125f, a.data());
        build.k->dots_h(q.data(), h.data(), stride, nb, hd, lanes, 0.125f, b.data());
        CHECK(same_bits(a.data(), b.data(), size_t(nb)));
        const auto p = values(size_t(nb), 7);
        std::vector<float> acc_a(size_t(lanes) * hd, 0.0f), acc_b(size_t(lanes) * hd, 0.0f);
        avx2::pv_batch(acc_a.data(), p.data(), wide.data(), nb, hd, lanes);
        for (int d : {0, 24, hd / 2 + 8}) build.k->pv_cols_h(acc_b.data(), p.data(), h.data(), stride, nb, hd, lanes, d, d == 0 ? 24 : d == 24 ? hd / 2 + 8 : hd);
        if (!same_bits(acc_a.data(), acc_b.data(), acc_a.size())) std::printf("  %s: lanes %d, hd %d\n", build.name, lanes, hd);
        CHECK(same_bits(acc_a.data(), acc_b.data(), acc_a.size()));
      }
}

// OrderedAccumulator::finish's vectorized halving (avx2::reduce_lane_rows)
// against its scalar loop: every lane count, with and without the paired tail,
// head dims that are and are not multiples of 8.
TEST(finish_simd_equals_scalar) {
  if (!simd()) SKIP("no AVX2+FMA here");
  for (SumOrder o : {SumOrder{8, false}, SumOrder{16, false}, SumOrder{32, true}, SumOrder{32, false},
                     SumOrder{64, false}, SumOrder{0, false}})
    for (int hd : {4, 20, 64, 80, 128}) {
      const int64_t n = 150;
      const auto p = values(size_t(n), uint32_t(7 * hd));
      const auto v = values(size_t(n * hd), uint32_t(11 * hd));
      std::vector<float> out[2];
      for (int flavour = 0; flavour < 2; ++flavour) {
        set_force_scalar(flavour == 1);
        OrderedAccumulator acc;
        acc.reset(o, hd);
        for (int64_t j = 0; j < n; ++j) acc.add(j, p[size_t(j)], v.data() + j * hd);
        out[flavour].resize(size_t(hd));
        acc.finish(out[flavour].data());
      }
      set_force_scalar(false);
      CHECK(same_bits(out[0].data(), out[1].data(), size_t(hd)));
    }
}

// llama.cpp's exp, 8 lanes at a time, against the scalar lane function: rows
// whose values reach the rare paths (results below the normal range, -inf),
// lengths cut mid-chunk, both flavours.
TEST(vector_exp_equals_the_lane_function) {
  if (!cpu_features().avx2 || !cpu_features().fma) SKIP("no AVX2+FMA here");
  std::mt19937 g(7);
  std::uniform_real_distribution<float> wide(-120.0f, 0.0f), narrow(-12.0f, 0.0f);
  for (int width : {8, 16})
    for (int64_t n : {1, 7, 8, 16, 17, 100, 1000}) {
      std::vector<float> x(static_cast<size_t>(n));
      for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 5 == 0) ? wide(g) : narrow(g);
      if (n > 20) x[3] = -1e30f, x[11] = -INFINITY, x[12] = 0.0f;
      std::vector<float> a(x.size()), b(x.size());
      const double sa = avx2::softmax_exp(x.data(), n, 0.5f, a.data(), width);
      const double sb = vexp::softmax_exp(x.data(), n, 0.5f, b.data(), width);
      CHECK(same_bits(a.data(), b.data(), x.size()));
      CHECK(sa == sb);
      // SiLU's exp over gate values of both signs
      std::vector<float> ga(x.size()), gb(x.size()), up(x.size(), 1.5f);
      for (size_t i = 0; i < x.size(); ++i) ga[i] = gb[i] = (i % 2 ? -1.0f : 1.0f) * x[i] * 0.7f;
      if (n > 20) ga[5] = gb[5] = 100.0f, ga[6] = gb[6] = -100.0f;
      avx2::swiglu_ggml(ga.data(), up.data(), n, width);
      vexp::swiglu(gb.data(), up.data(), n, width);
      CHECK(same_bits(ga.data(), gb.data(), x.size()));
    }
}

TOME_TEST_MAIN()
