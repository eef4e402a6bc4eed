// Sampler: greedy, truncations, penalties and seeded reproducibility.
#include <cmath>
#include <map>
#include <vector>

#include "sampling/sampler.h"
#include "test_harness.h"

using namespace tome;

static std::vector<float> logits_of(std::initializer_list<float> v) { return std::vector<float>(v); }

TEST(greedy_is_argmax_lowest_id_on_ties) {
  SamplerParams p;
  p.temperature = 0;
  Sampler s(p);
  auto l = logits_of({0.5f, 3.0f, -1.0f, 3.0f});
  CHECK_EQ(s.sample(l.data(), 4), 1);
}

TEST(nan_logits_rank_below_every_number) {
  const float nan = std::nanf("");
  auto l = logits_of({nan, 1.0f, 5.0f, nan, 2.0f});
  CHECK_EQ(Sampler::argmax(l.data(), 5), 2);
  for (float temperature : {0.0f, 1e-3f, 1.0f}) {
    for (int top_k : {0, 2}) {
      SamplerParams p;
      p.temperature = temperature;
      p.top_k = top_k;
      p.top_p = 1;
      p.min_p = 0;
      Sampler s(p);
      for (int i = 0; i < 200; ++i) {
        const int32_t t = s.sample(l.data(), 5);
        CHECK(t == 1 || t == 2 || t == 4);  // never a NaN's token
        if (temperature < 0.01f) CHECK_EQ(t, 2);
      }
    }
  }
  // all -inf or NaN: the first of the best, no NaN probabilities
  auto none = logits_of({-INFINITY, nan, -INFINITY});
  SamplerParams p;
  p.temperature = 1;
  p.top_k = 0;
  Sampler s(p);
  const int32_t t = s.sample(none.data(), 3);
  CHECK(t == 0 || t == 2);
}

TEST(top_k_1_is_greedy_at_any_temperature) {
  SamplerParams p;
  p.temperature = 5;
  p.top_k = 1;
  Sampler s(p);
  auto l = logits_of({0.1f, 0.2f, 0.9f, 0.3f});
  for (int i = 0; i < 50; ++i) CHECK_EQ(s.sample(l.data(), 4), 2);
}

TEST(same_seed_same_tokens_other_seed_differs) {
  std::vector<float> l(100);
  for (int i = 0; i < 100; ++i) l[size_t(i)] = float(std::sin(i * 0.37));
  auto draw = [&](uint64_t seed) {
    SamplerParams p;
    p.temperature = 1.5f;
    p.top_k = 0;
    p.top_p = 1;
    p.min_p = 0;
    p.seed = seed;
    Sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(l.data(), 100));
    return out;
  };
  CHECK(draw(7) == draw(7));
  CHECK(draw(7) != draw(8));
}

TEST(temperature_one_matches_softmax_frequencies) {
  auto l = logits_of({1.0f, 0.0f, -1.0f, 2.0f});
  SamplerParams p;
  p.temperature = 1;
  p.top_k = 0;
  p.top_p = 1;
  p.min_p = 0;
  p.seed = 42;
  Sampler s(p);
  std::map<int32_t, int> count;
  const int n = 200000;
  for (int i = 0; i < n; ++i) count[s.sample(l.data(), 4)]++;
  double z = 0;
  for (float v : l) z += std::exp(v);
  for (int i = 0; i < 4; ++i) CHECK_NEAR(double(count[i]) / n, std::exp(l[size_t(i)]) / z, 0.005);
}

TEST(top_p_keeps_the_smallest_prefix_reaching_p) {
  // probabilities ~ 0.64, 0.24, 0.09, 0.03: top_p 0.8 keeps the first two
  auto l = logits_of({3.0f, 2.0f, 1.0f, -0.1f});
  SamplerParams p;
  p.temperature = 1;
  p.top_k = 0;
  p.top_p = 0.8f;
  p.min_p = 0;
  p.seed = 1;
  Sampler s(p);
  for (int i = 0; i < 2000; ++i) {
    int32_t t = s.sample(l.data(), 4);
    CHECK(t == 0 || t == 1);
  }
}

TEST(min_p_drops_tokens_below_a_fraction_of_the_top) {
  auto l = logits_of({3.0f, 2.9f, -2.0f, -3.0f});
  SamplerParams p;
  p.temperature = 1;
  p.top_k = 0;
  p.top_p = 1;
  p.min_p = 0.1f;
  p.seed = 3;
  Sampler s(p);
  for (int i = 0; i < 2000; ++i) CHECK(s.sample(l.data(), 4) <= 1);
}

TEST(repetition_penalty_demotes_recent_tokens) {
  auto l = logits_of({2.0f, 1.9f, -5.0f});
  SamplerParams p;
  p.temperature = 0;
  p.repeat_penalty = 1.5f;
  Sampler s(p);
  CHECK_EQ(s.sample(l.data(), 3), 0);
  s.accept(0);
  CHECK_EQ(s.sample(l.data(), 3), 1);  // 2.0 / 1.5 < 1.9
}

TOME_TEST_MAIN()
