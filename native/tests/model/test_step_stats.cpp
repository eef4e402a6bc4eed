// StepStats' retrieved-position weights: top_positions sums each position's
// pairs in the order they were added and returns the heaviest, ties to the
// lower position. Checked against a naive oracle (an ordered map summed in
// insertion order, then a full sort), bit for bit: the dense merge must give
// the same floats as summing in that order does.
#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "model/step_stats.h"
#include "test_harness.h"

using namespace tome;

namespace {

using Pairs = std::vector<std::pair<int32_t, float>>;

void oracle_top(const Pairs& added, size_t n, std::vector<int32_t>& pos, std::vector<float>& w) {
  std::map<int32_t, float> sum;
  for (const auto& [p, x] : added) {
    auto it = sum.find(p);
    if (it == sum.end()) sum.emplace(p, x);
    else it->second += x;
  }
  Pairs all(sum.begin(), sum.end());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  all.resize(std::min(n, all.size()));
  pos.clear();
  w.clear();
  for (const auto& [p, x] : all) pos.push_back(p), w.push_back(x);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// A decode step's shape: per (layer, head) a list of retrieved positions with
// weights; lists overlap (heads of a group share rows, layers find the same
// passages), so positions repeat many times in no particular order.
Pairs random_step(std::mt19937& rng, int lists, int per_list, int32_t ctx, bool negative) {
  Pairs out;
  std::uniform_int_distribution<int32_t> at(negative ? -50 : 0, ctx - 1);
  std::uniform_real_distribution<float> wt(0.0f, 1.0f);
  for (int l = 0; l < lists; ++l)
    for (int i = 0; i < per_list; ++i) out.emplace_back(at(rng), wt(rng) * wt(rng) * 1e-2f);
  return out;
}

// Adds the pairs in lists of `chunk`, as a step adds each group's rows.
void add_in_lists(StepStats& st, const Pairs& added, size_t chunk) {
  std::vector<int32_t> p;
  std::vector<float> w;
  for (size_t i = 0; i < added.size(); i += chunk) {
    p.clear();
    w.clear();
    for (size_t j = i; j < std::min(i + chunk, added.size()); ++j) p.push_back(added[j].first), w.push_back(added[j].second);
    st.add_position_weights(p.data(), w.data(), p.size());
  }
}

// top_positions against the oracle, bit for bit; returns how many it gave.
size_t check_top_as_oracle(const StepStats& st, const Pairs& added) {
  std::vector<int32_t> pos, opos;
  std::vector<float> w, ow;
  st.top_positions(size_t(StepStats::kMaxPositions), pos, w);
  oracle_top(added, size_t(StepStats::kMaxPositions), opos, ow);
  CHECK(pos == opos);
  CHECK(same_bits(w, ow));
  return pos.size();
}

}  // namespace

TEST(top_positions_sum_in_insertion_order_as_the_oracle) {
  std::mt19937 rng(7);
  for (const bool negative : {false, true})
    for (const int32_t ctx : {1, 300, 4096, 131072}) {
      StepStats st;
      const Pairs added = random_step(rng, 270, 150, ctx, negative);
      add_in_lists(st, added, 150);
      CHECK(check_top_as_oracle(st, added) ==
            std::min<size_t>(size_t(StepStats::kMaxPositions), size_t(negative ? ctx + 50 : ctx)));
    }
}

// The sums' table is kept between calls (per thread): each call must leave it
// clear, whatever the context of the call before.
TEST(top_positions_repeated_and_interleaved_match_the_oracle) {
  std::mt19937 rng(11);
  std::vector<StepStats> steps(3);
  std::vector<Pairs> added(3);
  const int32_t ctxs[3] = {131072, 64, 5000};
  for (size_t s = 0; s < 3; ++s) {
    added[s] = random_step(rng, 30, 200, ctxs[s], false);
    add_in_lists(steps[s], added[s], 1);
  }
  for (int round = 0; round < 2; ++round)
    for (size_t s : {2, 0, 1}) check_top_as_oracle(steps[s], added[s]);
}

// A long multi-token eval merges its pairs as they pass 4M (add_position_weights):
// the merged sums go on in the order added.
TEST(top_positions_after_the_merge_of_a_long_eval) {
  std::mt19937 rng(5);
  StepStats st;
  const Pairs added = random_step(rng, 450, 10000, 20000, false);  // 4.5M pairs
  add_in_lists(st, added, 10000);
  CHECK(st.position_weights.size() < added.size());  // merged once
  check_top_as_oracle(st, added);
}

TEST(top_positions_of_nothing_is_empty) {
  StepStats st;
  std::vector<int32_t> pos{1};
  std::vector<float> w{1};
  st.top_positions(8, pos, w);
  CHECK(pos.empty() && w.empty());
}

TOME_TEST_MAIN()
