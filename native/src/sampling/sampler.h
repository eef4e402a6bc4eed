// Token sampling from logits, in llama.cpp's default chain order:
//   repetition penalty -> top-k -> top-p -> min-p -> temperature -> draw
// temperature <= 0 is greedy (argmax; ties to the lowest id). The generator is
// seeded, so the same seed over the same logits gives the same tokens.
#pragma once
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace tome {

struct SamplerParams {
  float temperature = 0.8f;
  int top_k = 40;              // <= 0: off
  float top_p = 0.95f;         // >= 1: off
  float min_p = 0.05f;         // <= 0: off
  float repeat_penalty = 1.0f; // 1: off
  int repeat_last_n = 64;      // how many recent tokens the penalty looks at
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& p);
  // Picks the next token from logits (n_vocab). Does not record it: call accept().
  int32_t sample(const float* logits, int n_vocab);
  // Records a token (prompt or generated) for the repetition penalty.
  void accept(int32_t token);
  const SamplerParams& params() const { return p_; }

  static int32_t argmax(const float* logits, int n_vocab);

 private:
  struct Candidate { int32_t id; float logit; float p; };
  SamplerParams p_;
  std::mt19937_64 rng_;
  std::deque<int32_t> recent_;
  std::vector<Candidate> cand_;
};

}  // namespace tome
