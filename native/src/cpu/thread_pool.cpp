// ThreadPool: workers 1..n-1 wait for a new "generation" (one per run()), claim
// their index for it, run the task and count it done; the caller is worker 0.
// After its own part the caller claims every index whose worker has not started
// yet and runs it itself: on a busy machine a descheduled worker then costs
// nothing instead of a time slice (with dynamic chunking inside the task, the
// late index finds no work left). A claim is a compare-exchange of claim[i] from
// generation g-1 to g, so each index runs exactly once per run().
// Waiting (both for work and for completion) spins with pause, then yields, then
// sleeps on a condition variable. Lost wake-ups are ruled out by a Dekker-style
// handshake on seq_cst atomics: the waiter publishes "I may sleep" and then
// re-checks the condition; the signaller publishes the condition and then checks
// for sleepers, locking the mutex before notifying.
#include "cpu/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/error.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define TOME_CPU_RELAX() _mm_pause()
#else
#define TOME_CPU_RELAX() std::this_thread::yield()
#endif

namespace tome {

namespace {

// Spin, then yield, for a bounded time; true as soon as done() holds.
// The yield phase keeps a decode step's back-to-back runs (tens of microseconds
// apart) off the futex path without burning a core forever when idle.
template <class Pred>
bool spin_then_yield(Pred done) {
  constexpr int kPauses = 2000;
  constexpr auto kYieldFor = std::chrono::microseconds(200);
  for (int i = 0; i < kPauses; ++i) {
    if (done()) return true;
    TOME_CPU_RELAX();
  }
  const auto until = std::chrono::steady_clock::now() + kYieldFor;
  do {
    if (done()) return true;
    std::this_thread::yield();
  } while (std::chrono::steady_clock::now() < until);
  return done();
}

}  // namespace

struct ThreadPool::Impl {
  int n_threads = 1;
  std::vector<std::thread> workers;

  std::mutex run_mu;  // one run() at a time
  const std::function<void(int)>* task = nullptr;

  std::atomic<uint64_t> generation{0};
  std::atomic<bool> stop{false};
  std::atomic<int> sleepers{0};
  std::mutex work_mu;
  std::condition_variable work_cv;

  std::unique_ptr<std::atomic<uint64_t>[]> claim;  // per index: last generation claimed
  std::atomic<int> done{0};  // indices 1..n-1 finished in this run
  std::atomic<bool> caller_sleeping{false};
  std::mutex done_mu;
  std::condition_variable done_cv;

  std::mutex error_mu;
  std::exception_ptr error;

  void record(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (!error) error = e;
  }

  void call(int thread) {
    try {
      (*task)(thread);
    } catch (...) {
      record(std::current_exception());
    }
  }

  bool try_claim(int index, uint64_t gen) {
    uint64_t expected = gen - 1;
    return claim[index].compare_exchange_strong(expected, gen);
  }

  void finish_one() {
    if (done.fetch_add(1) + 1 == n_threads - 1 && caller_sleeping.load()) {
      std::lock_guard<std::mutex> lock(done_mu);
      done_cv.notify_one();
    }
  }

  void worker_loop(int thread) {
    uint64_t seen = 0;
    for (;;) {
      auto has_work = [&] { return generation.load() != seen; };
      if (!spin_then_yield(has_work)) {
        std::unique_lock<std::mutex> lock(work_mu);
        sleepers.fetch_add(1);
        work_cv.wait(lock, has_work);
        sleepers.fetch_sub(1);
      }
      seen = generation.load();
      if (stop.load()) return;
      if (!try_claim(thread, seen)) continue;  // the caller ran it already
      call(thread);
      finish_one();
    }
  }

  void wake_workers() {
    if (sleepers.load() > 0) {
      { std::lock_guard<std::mutex> lock(work_mu); }
      work_cv.notify_all();
    }
  }

  void wait_done() {
    auto all_done = [&] { return done.load() == n_threads - 1; };
    if (spin_then_yield(all_done)) return;
    std::unique_lock<std::mutex> lock(done_mu);
    caller_sleeping.store(true);
    done_cv.wait(lock, all_done);
    caller_sleeping.store(false);
  }
};

ThreadPool::ThreadPool(int n_threads) : impl_(new Impl) {
  if (n_threads < 1) throw Error("BAD_ARGUMENT", "thread pool needs at least one thread");
  impl_->n_threads = n_threads;
  impl_->claim.reset(new std::atomic<uint64_t>[size_t(n_threads)]);
  for (int t = 0; t < n_threads; ++t) impl_->claim[t].store(0);
  impl_->workers.reserve(size_t(n_threads - 1));
  for (int t = 1; t < n_threads; ++t) impl_->workers.emplace_back([this, t] { impl_->worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  impl_->stop.store(true);
  impl_->generation.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(impl_->work_mu);
  }
  impl_->work_cv.notify_all();
  for (std::thread& w : impl_->workers) w.join();
}

int ThreadPool::size() const { return impl_->n_threads; }

void ThreadPool::run(const std::function<void(int thread)>& fn) {
  Impl& p = *impl_;
  std::lock_guard<std::mutex> run_lock(p.run_mu);
  if (p.n_threads == 1) {
    fn(0);
    return;
  }
  p.task = &fn;
  p.error = nullptr;
  p.done.store(0);
  const uint64_t gen = p.generation.fetch_add(1) + 1;  // publishes task to the workers
  p.wake_workers();
  p.call(0);
  for (int t = 1; t < p.n_threads; ++t)  // indices whose worker has not started yet
    if (p.try_claim(t, gen)) {
      p.call(t);
      p.finish_one();
    }
  p.wait_done();
  p.task = nullptr;
  if (p.error) {
    std::exception_ptr e = p.error;
    p.error = nullptr;
    std::rethrow_exception(e);
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end, int thread)>& fn) {
  const int64_t t_count = size();
  run([&](int t) {
    const int64_t begin = n * t / t_count, end = n * (t + 1) / t_count;
    if (begin < end) fn(begin, end, t);
  });
}

}  // namespace tome
