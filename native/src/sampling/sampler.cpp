#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace tome {

Sampler::Sampler(const SamplerParams& p) : p_(p), rng_(p.seed) {}

// A NaN logit (a damaged model's, or an overflow) ranks below every number: compared as it
// is, it broke std::sort's ordering (undefined behaviour) and, first in the list, made every
// probability NaN, so the last candidate was drawn whatever the logits said.
static float ranked(float l) { return l == l ? l : -INFINITY; }

int32_t Sampler::argmax(const float* logits, int n_vocab) {
  int32_t best = 0;
  for (int32_t i = 1; i < n_vocab; ++i)
    if (ranked(logits[i]) > ranked(logits[best])) best = i;
  return best;
}

void Sampler::accept(int32_t token) {
  if (p_.repeat_last_n <= 0) return;
  recent_.push_back(token);
  while (int(recent_.size()) > p_.repeat_last_n) recent_.pop_front();
}

int32_t Sampler::sample(const float* logits, int n_vocab) {
  cand_.resize(size_t(n_vocab));
  for (int32_t i = 0; i < n_vocab; ++i) cand_[size_t(i)] = {i, ranked(logits[i]), 0.0f};

  // Repetition penalty (CTRL-style, as llama.cpp): divide positive logits,
  // multiply negative ones, once per distinct recent token.
  if (p_.repeat_penalty != 1.0f && !recent_.empty()) {
    std::unordered_set<int32_t> seen(recent_.begin(), recent_.end());
    for (int32_t t : seen) {
      if (t < 0 || t >= n_vocab) continue;
      float& l = cand_[size_t(t)].logit;
      l = l > 0 ? l / p_.repeat_penalty : l * p_.repeat_penalty;
    }
  }
  if (p_.temperature <= 0.0f) {
    int32_t best = 0;
    for (int32_t i = 1; i < n_vocab; ++i)
      if (cand_[size_t(i)].logit > cand_[size_t(best)].logit) best = i;
    return best;
  }

  auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  size_t n = cand_.size();
  if (p_.top_k > 0 && size_t(p_.top_k) < n) {
    std::partial_sort(cand_.begin(), cand_.begin() + p_.top_k, cand_.end(), by_logit);
    n = size_t(p_.top_k);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  cand_.resize(n);

  // softmax over the survivors (sorted, highest first)
  // (with no finite top, -inf or +inf, the candidates equal to it share the mass: inf - inf
  // would be NaN)
  auto softmax = [this](float temp) {
    const float m = cand_[0].logit;
    double sum = 0;
    for (auto& c : cand_) {
      c.p = std::isfinite(m) ? std::exp((c.logit - m) / temp) : (c.logit == m ? 1.0f : 0.0f);
      sum += c.p;
    }
    for (auto& c : cand_) c.p = float(c.p / sum);
  };
  softmax(1.0f);
  if (p_.top_p < 1.0f) {
    double cum = 0;
    size_t keep = cand_.size();
    for (size_t i = 0; i < cand_.size(); ++i) {
      cum += cand_[i].p;
      if (cum >= p_.top_p) { keep = i + 1; break; }
    }
    cand_.resize(std::max<size_t>(1, keep));
  }
  if (p_.min_p > 0.0f) {
    const float threshold = cand_[0].p * p_.min_p;
    size_t keep = 1;
    while (keep < cand_.size() && cand_[keep].p >= threshold) ++keep;
    cand_.resize(keep);
  }
  softmax(p_.temperature);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  const double r = uni(rng_);
  double cum = 0;
  for (const auto& c : cand_) {
    cum += c.p;
    if (r < cum) return c.id;
  }
  return cand_.back().id;
}

}  // namespace tome
