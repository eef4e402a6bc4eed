// A small seeded random generator (splitmix64 + Box-Muller) whose output is the
// same on every compiler and standard library, so seeded tests and benchmarks
// (k-means seeding, query sampling, synthetic workloads) are reproducible.
#pragma once
#include <cmath>
#include <cstdint>

namespace tome {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform integer in [0, n), n > 0.
  uint64_t below(uint64_t n) { return uint64_t(uniform() * double(n)) % n; }
  // Standard normal.
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double r = std::sqrt(-2.0 * std::log(u1)), a = 6.283185307179586 * u2;
    spare_ = float(r * std::sin(a));
    has_spare_ = true;
    return float(r * std::cos(a));
  }

 private:
  uint64_t s_;
  float spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace tome
