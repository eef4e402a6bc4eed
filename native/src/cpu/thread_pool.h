// ThreadPool: a fixed set of workers for data-parallel loops. The calling thread
// takes part as worker 0, so ThreadPool(1) runs everything inline. Workers
// spin briefly then sleep, so back-to-back small loops (a decode step runs
// hundreds) do not pay a futex wake each.
#pragma once
#include <functional>
#include <memory>

namespace tome {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  // Calls fn(i) exactly once for each index i in [0, size()) and waits for all:
  // index 0 on the calling thread, index i normally on worker i. An index whose
  // worker has not started by the time the caller is done with its own part is
  // run by the caller instead (so a descheduled worker on a busy machine costs
  // nothing; per-index scratch stays safe, no index runs twice). Not reentrant.
  // Exceptions thrown by fn are rethrown (the first one) after all indices finish.
  void run(const std::function<void(int thread)>& fn);
  // Splits [0, n) into contiguous chunks, one per thread: fn(begin, end, thread).
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end, int thread)>& fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tome
