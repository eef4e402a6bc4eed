// ThreadPool: every index runs once per run(), parallel_for covers [0, n) exactly,
// exceptions reach the caller (and the pool keeps working), and many tiny
// back-to-back runs neither lose work nor deadlock.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "cpu/thread_pool.h"
#include "test_harness.h"

using tome::ThreadPool;

TEST(run_calls_each_thread_once) {
  for (int n : {1, 2, 3, 5}) {
    ThreadPool pool(n);
    CHECK_EQ(pool.size(), n);
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    for (auto& h : hits) h = 0;
    const std::thread::id caller = std::this_thread::get_id();
    std::atomic<bool> zero_on_caller{false};
    for (int rep = 0; rep < 50; ++rep) {
      for (auto& h : hits) h = 0;
      pool.run([&](int t) {
        hits[size_t(t)].fetch_add(1);
        if (t == 0) zero_on_caller = std::this_thread::get_id() == caller;
      });
      for (auto& h : hits) CHECK_EQ(h.load(), 1);  // exactly once, whoever ran it
      CHECK(zero_on_caller.load());
    }
  }
}

TEST(parallel_for_covers_range_exactly) {
  ThreadPool pool(3);
  for (int64_t n : {0, 1, 2, 3, 7, 100, 1001}) {
    std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
    for (auto& s : seen) s = 0;
    pool.parallel_for(n, [&](int64_t b, int64_t e, int t) {
      CHECK(b < e);
      CHECK(t >= 0 && t < 3);
      for (int64_t i = b; i < e; ++i) seen[size_t(i)].fetch_add(1);
    });
    for (auto& s : seen) CHECK_EQ(s.load(), 1);
  }
}

TEST(exceptions_propagate_and_pool_survives) {
  ThreadPool pool(3);
  for (int thrower = 0; thrower < 3; ++thrower) {
    std::atomic<int> ran{0};
    bool caught = false;
    try {
      pool.run([&](int t) {
        ran.fetch_add(1);
        if (t == thrower) throw tome::Error("TEST_CODE", "from thread " + std::to_string(t));
      });
    } catch (const tome::Error& e) {
      caught = true;
      CHECK_EQ(e.code(), std::string("TEST_CODE"));
    }
    CHECK(caught);
    CHECK_EQ(ran.load(), 3);  // the others still ran to completion
  }
  // every thread throws: exactly one exception reaches the caller
  int caught = 0;
  try {
    pool.run([](int) { throw std::runtime_error("all"); });
  } catch (const std::runtime_error&) {
    ++caught;
  }
  CHECK_EQ(caught, 1);
  std::atomic<int> after{0};
  pool.run([&](int) { after.fetch_add(1); });
  CHECK_EQ(after.load(), 3);
  // single-thread pool: the exception passes straight through
  ThreadPool one(1);
  bool inline_caught = false;
  try {
    one.run([](int) { throw std::logic_error("inline"); });
  } catch (const std::logic_error&) {
    inline_caught = true;
  }
  CHECK(inline_caught);
}

TEST(many_tiny_back_to_back_runs) {
  for (int n : {2, 3}) {
    ThreadPool pool(n);
    std::atomic<int64_t> total{0};
    const int kRuns = 5000;
    for (int i = 0; i < kRuns; ++i) pool.run([&](int t) { total.fetch_add(t + 1, std::memory_order_relaxed); });
    CHECK_EQ(total.load(), int64_t(kRuns) * (n * (n + 1) / 2));
  }
}

TEST(wakes_after_workers_fell_asleep) {
  ThreadPool pool(3);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the spin/yield phase
    std::atomic<int> ran{0};
    pool.run([&](int) { ran.fetch_add(1); });
    CHECK_EQ(ran.load(), 3);
  }
  // and a caller that must sleep while a worker is slow
  std::atomic<int> ran{0};
  pool.run([&](int t) {
    if (t == 2) std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ran.fetch_add(1);
  });
  CHECK_EQ(ran.load(), 3);
}

// A slow index 0 lets the workers run their own indices; a worker that is slow to
// wake has its index run by the caller. Either way each index runs once, and the
// distinct threads that ran never exceed size().
TEST(caller_takes_over_late_indices) {
  ThreadPool pool(3);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // workers asleep
  std::atomic<int> on_caller{0}, total{0};
  const std::thread::id caller = std::this_thread::get_id();
  pool.run([&](int) {
    total.fetch_add(1);
    if (std::this_thread::get_id() == caller) on_caller.fetch_add(1);
  });
  CHECK_EQ(total.load(), 3);
  CHECK(on_caller.load() >= 1);
  total = 0;
  pool.run([&](int t) {
    if (t == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    total.fetch_add(1);
  });
  CHECK_EQ(total.load(), 3);
}

TEST(bad_size_and_destruction_while_idle) {
  bool threw = false;
  try {
    ThreadPool p(0);
  } catch (const tome::Error& e) {
    threw = e.code() == "BAD_ARGUMENT";
  }
  CHECK(threw);
  for (int i = 0; i < 20; ++i) {  // create / destroy, some without ever running
    ThreadPool p(3);
    if (i % 2) p.run([](int) {});
  }
}

TOME_TEST_MAIN()
