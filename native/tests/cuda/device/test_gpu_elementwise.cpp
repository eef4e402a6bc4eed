// RMSNorm, RoPE (NORM and NEOX, partial rotation, rope factors, large positions)
// and SwiGLU against model/layer_ops.h on the CPU.
#include <cmath>
#include <string>
#include <vector>

#include "cuda/rms_norm.h"
#include "cuda/rope.h"
#include "cuda/swiglu.h"
#include "gpu_test_util.h"
#include "model/layer_ops.h"

using namespace tome;
using namespace tome::cuda;
using namespace gpu_test;

TEST(rms_norm_matches_cpu) {
  require_device();
  std::mt19937 g(seed());
  for (auto [rows, n] : {std::pair{1, 64}, {5, 100}, {7, 4096}, {3, 14336}}) {
    std::vector<float> x = randn(size_t(rows) * n, g, 3.0f), w = randn(size_t(n), g);
    std::vector<float> ref(x.size());
    rms_norm(x.data(), w.data(), ref.data(), rows, n, 1e-5f);
    auto dx = upload(x), dw = upload(w);
    DeviceBuffer<float> dout(x.size());
    poison(dout);
    cuda::rms_norm(dx.get(), dw.get(), dout.get(), rows, n, 1e-5f, nullptr);
    check_close(download(dout.get(), x.size()), ref, 1e-5, "rms_norm " + std::to_string(rows) + "x" + std::to_string(n));
    cuda::rms_norm(dx.get(), dw.get(), dx.get(), rows, n, 1e-5f, nullptr);  // in place
    check_close(download(dx.get(), x.size()), ref, 1e-5, "rms_norm in place");
  }
}

TEST(rope_matches_cpu) {
  require_device();
  std::mt19937 g(seed() + 1);
  struct Case {
    RopeStyle style;
    int head_dim, n_rot;
    bool factors;
    int64_t pos0;
  };
  const Case cases[] = {{RopeStyle::NORM, 128, 128, false, 0},   {RopeStyle::NEOX, 128, 128, false, 5},
                        {RopeStyle::NORM, 64, 32, false, 1000},  {RopeStyle::NEOX, 128, 64, true, 131000},
                        {RopeStyle::NORM, 128, 128, true, 100000}};
  for (const Case& c : cases) {
    HParams hp;
    hp.n_rot = c.n_rot;
    hp.rope_freq_base = 500000.0f;
    hp.rope_freq_scale = 0.5f;
    std::vector<float> ff;
    if (c.factors) {
      ff.resize(size_t(c.n_rot / 2));
      for (size_t i = 0; i < ff.size(); ++i) ff[i] = 1.0f + float(i % 5);
    }
    const int n_tokens = 9, n_heads = 6;
    const int64_t stride = int64_t(n_heads) * c.head_dim + 32;  // rows with a gap, as in a fused qkv buffer
    std::vector<float> x = randn(size_t(n_tokens * stride), g), ref = x;
    for (int i = 0; i < n_tokens; ++i) {
      RopeTable t;
      t.fill(hp, ff, c.pos0 + i);
      apply_rope(ref.data() + i * stride, n_heads, c.head_dim, c.n_rot, c.style, t);
    }
    auto dx = upload(x);
    DeviceBuffer<float> dff(ff.size());
    if (!ff.empty()) dff = upload(ff);
    RopeParams p;
    p.n_rot = c.n_rot;
    p.style = c.style;
    p.freq_base = hp.rope_freq_base;
    p.freq_scale = hp.rope_freq_scale;
    p.freq_factors = ff.empty() ? nullptr : dff.get();
    rope(dx.get(), n_tokens, n_heads, c.head_dim, stride, c.pos0, p, nullptr);
    check_close(download(dx.get(), x.size()), ref, 1e-5,
                std::string("rope ") + (c.style == RopeStyle::NORM ? "NORM" : "NEOX") + " hd " +
                    std::to_string(c.head_dim) + " n_rot " + std::to_string(c.n_rot) + " pos0 " + std::to_string(c.pos0));
  }
}

TEST(swiglu_matches_cpu) {
  require_device();
  std::mt19937 g(seed() + 2);
  for (int64_t n : {1, 1000, 14336 * 3 + 5}) {
    std::vector<float> gate = randn(size_t(n), g, 6.0f), up = randn(size_t(n), g);
    std::vector<float> ref = gate;
    swiglu(ref.data(), up.data(), n);
    auto dg = upload(gate), du = upload(up);
    cuda::swiglu(dg.get(), du.get(), n, nullptr);
    check_close(download(dg.get(), size_t(n)), ref, 2e-6, "swiglu " + std::to_string(n));
  }
}

TOME_TEST_MAIN()
