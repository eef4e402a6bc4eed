// Shared helpers of the model tests: seeded normal data and a float's bits.
#pragma once
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace model_test {

// n values of N(0, sd), from mt19937(seed).
inline std::vector<float> randn(size_t n, uint32_t seed, float sd = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

inline uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

}  // namespace model_test
