// RetrievalAttention::attend_layer: one layer of a decode step, as one stream
// of tasks on the pool's threads (parallel_dynamic hands them out in order):
//   [inserts, a task per KV group]  keys that left the window join the index
//   [searches]                      one per query head (kUnion), else one per group;
//                                   each waits for its group's inserts
//   [static sets, a task per group] the group's heads over sinks + window
//   [row parts]                     each group's retrieved rows in parts; a part
//                                   waits for its group's searches, and its heads
//                                   read each of its K and V rows once together
//                                   (random rows: the reads are the cost)
//   [monitor chunks]                on a monitor step, the exact scan of the
//                                   sampled groups, a chunk of the context each
// then, on a monitor step, each sampled head's softmax, recall and mass.
//
// A task only ever waits for tasks handed out before it, so the stream cannot
// deadlock, and one thread runs it in order. Why one stream, and parts: with a
// few KV groups (3 in SmolLM-like shapes) on 2 threads, a pass of its own over
// the groups' retrieved rows left one thread idle for a third of it, the
// groups' rows were formed by the caller alone between the passes, and the
// searches' pass ended on one thread's last search. Measured (smol, 2
// threads, retrieval, thread time over twice the wall time, before):
// searches' pass 0.94, rows pass 0.50 at 4K and 0.62-0.66 at 128K, and the
// rows formed serially took ~1 ms a step; the stream: 0.90-0.92 at 4K, the
// layers' wall 16.4-16.9 ms a step against 18.8.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "attention/partial_attention.h"
#include "cpu/parallel.h"
#include "cpu/thread_pool.h"
#include "model/retrieval_step.h"
#include "retrieval/flat_index.h"

namespace tome {

namespace {

// An index's keys as rows in RAM: its own, or (a graph paged out under the
// budget that an exact scan reads: it fell below exact_below) a copy.
const KeyMatrix& keys_of(const KeyIndex& idx) {
  if (idx.keys_in_ram()) return idx.key_rows();
  thread_local KeyMatrix copy;
  copy = KeyMatrix(idx.dim());
  copy.storage().resize(size_t(idx.size()) * size_t(idx.dim()));
  idx.copy_keys(0, idx.size(), copy.storage().data());
  return copy;
}

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
// Whole nanoseconds, for times tasks on several threads add up in an atomic
// (microseconds truncated a monitor task of a few us by up to a third).
int64_t ns_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

// Context rows per task of the monitor's exact scan (1 MB of keys at head dim
// 64): a 128K context is 16 tasks per sampled group, shared by the threads.
constexpr int64_t kMonitorChunk = 8192;

// Under a RAM budget, the most keys per index a layer inserts in parallel
// tasks, their rows held together in one epoch (a decode step inserts one).
constexpr int64_t kInsertsInTasks = 8;

// The fewest rows a part of a group's retrieved rows takes: a part costs a
// task and a merge.
constexpr int64_t kMinPartRows = 32;

// Parts per group: enough tasks for two a thread. The same under a RAM
// budget, so that a session decodes the same bits with or without one.
int parts_per_group(int threads, int groups) {
  if (groups <= 0) return 1;
  return std::max(1, (2 * threads + groups - 1) / groups);
}

void wait_for(const std::atomic<bool>& flag) {
  while (!flag.load(std::memory_order_acquire)) std::this_thread::yield();
}

}  // namespace

void RetrievalAttention::form_group_rows(int g, bool by_head) {
  const int n_gqa = hp_.n_gqa();
  std::vector<int32_t>& rows = group_rows_[size_t(g)];
  rows.clear();
  for (int i = 0; i < (by_head ? n_gqa : 1); ++i) {
    const SearchResult& f = heads_[size_t(g * n_gqa + i)].found;
    for (int32_t id : f.ids) rows.push_back(int32_t(s_.sinks + id));
  }
  // ascending: the attention pass reads the cache's rows in address order (rows
  // sharing a page or a line are read together) and sums them in context order,
  // as full attention does; the monitor looks positions up in it
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
}

// The part's share of the group's rows: [n p / P, n (p + 1) / P) of the parts
// that kMinPartRows allows (the others stay empty).
void RetrievalAttention::attend_part(int layer, int g, int part, const float* q) {
  const int n_gqa = hp_.n_gqa(), hd = hp_.head_dim, P = int(parts_.size()) / hp_.n_head_kv;
  const std::vector<int32_t>& rows = group_rows_[size_t(g)];
  const int64_t n_rows = int64_t(rows.size());
  const int64_t used = std::min<int64_t>(P, std::max<int64_t>(1, n_rows / kMinPartRows));
  RowPart& pt = parts_[size_t(g) * size_t(P) + size_t(part)];
  pt.begin = pt.end = 0;
  pt.ms = 0;
  if (part >= used || n_rows == 0) return;
  pt.begin = n_rows * part / used;
  pt.end = n_rows * (part + 1) / used;
  const int64_t n = pt.end - pt.begin;
  // under a RAM budget the rows are gathered, from RAM or read back, into a
  // contiguous copy; the kernel reads the same values
  thread_local std::vector<float> scratch;
  thread_local std::vector<uint16_t> k_rows, v_rows;
  thread_local std::vector<int32_t> seq;
  KvRows kv = kv_.rows(layer, g);
  const int32_t* at = rows.data() + pt.begin;
  if (guard_) {
    k_rows.resize(size_t(n) * hd);
    v_rows.resize(size_t(n) * hd);
    {  // the guard serves one call per (layer, KV head) at a time
      std::lock_guard<std::mutex> lock(progress_[size_t(g)].gather_mu);
      guard_->gather_rows(layer, g, at, n, k_rows.data(), v_rows.data());
    }
    kv = KvRows{k_rows.data(), v_rows.data(), size_t(hd)};
    for (int64_t i = int64_t(seq.size()); i < n; ++i) seq.push_back(int32_t(i));
    at = seq.data();
  }
  pt.out.resize(size_t(n_gqa) * hd);
  pt.lse.resize(size_t(n_gqa));
  pt.probs.resize(size_t(n_gqa) * size_t(n));
  const auto t = Clock::now();
  attend_gather(q + size_t(g) * n_gqa * hd, n_gqa, kv, at, n, hd, hp_.kq_scale(), pt.out.data(), pt.lse.data(),
                scratch, pt.probs.data(), s_.numerics);
  pt.ms = ms_since(t);
}

// Each head: static result (in out, lse in its HeadResult) merged with the
// parts in order; each retrieved row's weight in the merged softmax.
void RetrievalAttention::merge_group(int g, int n_parts, float* out) {
  const int n_gqa = hp_.n_gqa(), hd = hp_.head_dim, h0 = g * n_gqa;
  const std::vector<int32_t>& rows = group_rows_[size_t(g)];
  const RowPart* parts = parts_.data() + size_t(g) * size_t(n_parts);
  double part_ms = 0;
  for (int p = 0; p < n_parts; ++p) part_ms += parts[p].ms;
  heads_[size_t(h0)].retrieved_ms += part_ms;
  heads_[size_t(h0)].retrieved += int64_t(rows.size());
  if (rows.empty()) return;
  for (int i = 0; i < n_gqa; ++i) {
    HeadResult& r = heads_[size_t(h0 + i)];
    const auto t = Clock::now();
    float* o = out + size_t(h0 + i) * hd;
    for (int p = 0; p < n_parts; ++p)
      if (parts[p].end > parts[p].begin)
        merge_partial(o, &r.lse, parts[p].out.data() + size_t(i) * hd, &parts[p].lse[size_t(i)], 1, hd);
    r.positions.assign(rows.begin(), rows.end());
    r.weights.resize(rows.size());
    for (int p = 0; p < n_parts; ++p) {
      const RowPart& pt = parts[p];
      const int64_t n = pt.end - pt.begin;
      if (n == 0) continue;
      const float w = std::exp(pt.lse[size_t(i)] - r.lse);  // the part's share of the merged softmax
      const float* pr = pt.probs.data() + size_t(i) * size_t(n);
      for (int64_t j = 0; j < n; ++j) r.weights[size_t(pt.begin + j)] = pr[j] * w;
    }
    r.merge_ms += ms_since(t);
  }
}

// The sink logits, one partial result each (a zero value row, lse = the sink): every head's
// output and lse merged with it, and its retrieved rows' weights rescaled to the merged softmax.
void RetrievalAttention::merge_sinks(const float* sinks, float* out) {
  const int hd = hp_.head_dim;
  thread_local std::vector<float> zero;
  zero.assign(size_t(hd), 0.0f);
  for (int h = 0; h < hp_.n_head; ++h) {
    HeadResult& r = heads_[size_t(h)];
    const float before = r.lse;
    merge_partial(out + size_t(h) * hd, &r.lse, zero.data(), &sinks[h], 1, hd);
    const float w = std::exp(before - r.lse);
    for (float& x : r.weights) x *= w;
  }
}

void RetrievalAttention::attend_layer(int layer, const float* q, int64_t pos, float* out, StepStats& st,
                                      ThreadPool& pool, const float* sinks) {
  if (guard_) guard_->begin_epoch();
  const int64_t insert_end = std::max<int64_t>(s_.sinks, pos + 1 - s_.window);
  // Keys that left the window join their group's index before that group's
  // searches: as tasks, one per group, that the group's searches wait for
  // (each index sees the same inserts in the same order: the same result as
  // inserting serially). Under a RAM budget the rows come through the row
  // guard, which serves distinct (layer, KV head) pairs at once: a step's few
  // keys are copied out in the tasks, in this layer's epoch; a longer
  // catch-up (a reopen's first step) runs serially here, an epoch a key.
  const int64_t to_insert = insert_end - indexed_end_[size_t(layer)];
  const bool insert_tasks = to_insert > 0 && (!guard_ || to_insert <= kInsertsInTasks);
  if (!insert_tasks) {
    const auto t = Clock::now();
    insert_until(layer, insert_end);
    st.index_insert_ms += ms_since(t);
  }
  const int G = hp_.n_head_kv, H = hp_.n_head, n_gqa = hp_.n_gqa(), hd = hp_.head_dim;
  const bool per_head = s_.group == GroupMode::kUnion || n_gqa == 1;
  heads_.resize(size_t(H));
  for (HeadResult& r : heads_) r = HeadResult{};
  auto index_of = [&](int g) { return index_[size_t(layer) * G + size_t(g)].get(); };
  // Search tasks: (group, head), head -1 = one search for the whole group: an
  // exact scan (an index below exact_below keys, counting this step's inserts:
  // under the crossover a scan of every key costs less than a graph search),
  // or the kMean / kJoint search. The group's first head holds a group search's result.
  const int64_t pending = insert_tasks ? insert_end - indexed_end_[size_t(layer)] : 0;
  group_exact_.assign(size_t(G), 0);
  search_tasks_.clear();
  for (int g = 0; g < G; ++g) {
    const KeyIndex* idx = index_of(g);
    // flat mode: every group by one scan (each key read once for its heads)
    group_exact_[size_t(g)] = idx && (s_.mode == AttentionMode::FLAT ||
                                      (s_.exact_below > 0 && idx->size() + pending < s_.exact_below));
    if (per_head && !group_exact_[size_t(g)])
      for (int i = 0; i < n_gqa; ++i) search_tasks_.push_back({g, g * n_gqa + i});
    else
      search_tasks_.push_back({g, -1});
  }
  // Under a RAM budget an index paged out serves its searches through one
  // record cache (and its lock): the groups' heads interleaved, so that the
  // threads search different indexes at once.
  if (guard_) {
    auto rank = [&](const std::pair<int, int>& t) { return t.second < 0 ? 0 : t.second - t.first * n_gqa; };
    std::stable_sort(search_tasks_.begin(), search_tasks_.end(),
                     [&](const std::pair<int, int>& a, const std::pair<int, int>& b) { return rank(a) < rank(b); });
  }
  const int n_search = int(search_tasks_.size());
  const int P = parts_per_group(pool.size(), G);

  SearchParams p;
  p.ef = s_.ef > 0 ? s_.ef : 0;
  if (widen_steps_ > 0) p.widen = 2;
  p.nprobe = s_.nprobe;
  p.group = s_.group;

  // the monitor's sampled groups and its scan's chunks
  monitor_groups_.clear();
  for (int g = 0; g < G; ++g)
    if (monitored(layer, g)) monitor_groups_.push_back(g);
  const int64_t n_ctx = pos + 1;
  const int64_t n_chunks = (n_ctx + kMonitorChunk - 1) / kMonitorChunk;
  const int64_t n_monitor = int64_t(monitor_groups_.size()) * n_chunks;
  if (monitor_scores_.size() < monitor_groups_.size()) monitor_scores_.resize(monitor_groups_.size());
  for (size_t i = 0; i < monitor_groups_.size(); ++i) monitor_scores_[i].resize(size_t(n_gqa) * size_t(n_ctx));

  if (!progress_) progress_.reset(new GroupProgress[size_t(G)]);
  parts_.resize(size_t(G) * size_t(P));
  group_rows_.resize(size_t(G));
  for (int g = 0; g < G; ++g) {
    progress_[g].inserted.store(!insert_tasks);
    progress_[g].searches_left.store(0);
    progress_[g].rows_ready.store(false);
    progress_[g].merges_left.store(1 + P);  // the static set and the parts
  }
  for (const auto& t : search_tasks_) progress_[t.first].searches_left.fetch_add(1);

  const int n_insert = insert_tasks ? G : 0;
  const int64_t first_static = n_insert + n_search, first_part = first_static + G, first_chunk = first_part + int64_t(G) * P;
  // a group's last piece of the static set and its parts merges them
  auto merge_piece_done = [&](int g) {
    if (progress_[g].merges_left.fetch_sub(1, std::memory_order_acq_rel) == 1) merge_group(g, P, out);
  };
  // One search task: (group, query head), or head -1 for the group.
  auto search_one = [&](int g, int head) {
    // Tasks are handed out in order, so this group's insert is already
    // running on another thread (or done): a short wait at most.
    wait_for(progress_[size_t(g)].inserted);
    const KeyIndex* idx = index_of(g);
    if (!idx || idx->size() == 0) return;
    const int h = head >= 0 ? head : g * n_gqa;
    HeadResult& r = heads_[size_t(h)];
    SearchParams ph = p;
    ph.k = int(std::min<int64_t>(s_.top_k, idx->size()));
    const auto t = Clock::now();
    if (head >= 0) idx->search(q + size_t(h) * hd, ph, r.found);
    else if (group_exact_[size_t(g)]) exact_search_group(keys_of(*idx), q + size_t(h) * hd, n_gqa, ph.k, r.found);
    else idx->search_group(q + size_t(h) * hd, n_gqa, ph, r.found);
    r.search_ms += ms_since(t);
    r.scanned += r.found.keys_scanned;
    r.indexed += idx->size();
  };
  std::atomic<int64_t> insert_ns{0}, monitor_ns{0};
  const auto t0 = Clock::now();
  parallel_dynamic(&pool, first_chunk + n_monitor, 1, [&](int64_t task, int) {
    if (task < n_insert) {
      const int g = int(task);
      const auto t = Clock::now();
      // (set even when the insert throws: the group's searches wait for it,
      // and the step then fails with the insert's error)
      struct Done {
        std::atomic<bool>& flag;
        ~Done() { flag.store(true, std::memory_order_release); }
      } done{progress_[size_t(g)].inserted};
      insert_group_until(layer, g, indexed_end_[size_t(layer)], insert_end, false);
      insert_ns += ns_since(t);
      return;
    }
    if (task < first_static) {
      const int g = search_tasks_[size_t(task - n_insert)].first, head = search_tasks_[size_t(task - n_insert)].second;
      // The group's last search forms its rows, also when a search throws
      // (its parts wait for them; the step then fails with the error).
      auto finish = [&] {
        GroupProgress& pr = progress_[size_t(g)];
        if (pr.searches_left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
        struct Ready {
          std::atomic<bool>& flag;
          ~Ready() { flag.store(true, std::memory_order_release); }
        } ready{pr.rows_ready};
        form_group_rows(g, per_head && !group_exact_[size_t(g)]);
      };
      try {
        search_one(g, head);
      } catch (...) {
        finish();
        throw;
      }
      finish();
      return;
    }
    if (task < first_part) {
      const int g = int(task - first_static);
      thread_local std::vector<float> lse;
      lse.resize(size_t(n_gqa));
      const auto t = Clock::now();
      static_set_->attend(layer, g, q + size_t(g) * n_gqa * hd, n_gqa, pos, s_.sinks, s_.window, hp_.kq_scale(),
                          out + size_t(g) * n_gqa * hd, lse.data());
      for (int i = 0; i < n_gqa; ++i) heads_[size_t(g * n_gqa + i)].lse = lse[i];
      heads_[size_t(g * n_gqa)].static_ms += ms_since(t);
      merge_piece_done(g);
      return;
    }
    if (task < first_chunk) {
      const int g = int((task - first_part) / P), part = int((task - first_part) % P);
      wait_for(progress_[g].rows_ready);
      attend_part(layer, g, part, q);
      merge_piece_done(g);
      return;
    }
    const int64_t i = (task - first_chunk) / n_chunks, c0 = (task - first_chunk) % n_chunks * kMonitorChunk;
    const int g = monitor_groups_[size_t(i)];
    const auto t = Clock::now();
    monitor_scores(layer, g, q + size_t(g) * n_gqa * hd, n_gqa, n_ctx, c0, std::min(n_ctx, c0 + kMonitorChunk),
                   monitor_scores_[size_t(i)].data());
    monitor_ns += ns_since(t);
  });
  if (insert_tasks) indexed_end_[size_t(layer)] = insert_end;
  const double insert_ms = 1e-6 * double(insert_ns.load());
  if (sinks) merge_sinks(sinks, out);

  // each sampled head's softmax, recall and mass, a task each
  parallel_dynamic(&pool, int64_t(monitor_groups_.size()) * n_gqa, 1, [&](int64_t task, int) {
    const int64_t i = task / n_gqa;
    const int g = monitor_groups_[size_t(i)], h = int(task % n_gqa);
    const auto t = Clock::now();
    monitor_head(layer, monitor_scores_[size_t(i)].data() + size_t(h) * size_t(n_ctx), n_ctx, group_rows_[size_t(g)],
                 heads_[size_t(g * n_gqa + h)]);
    monitor_ns += ns_since(t);
  });
  const double wall = ms_since(t0);

  // Phase times are per task on several threads; scale them so they add up to
  // the layer's wall time (the latency each phase is responsible for).
  const double monitor_ms = 1e-6 * double(monitor_ns.load());
  double busy = insert_ms + monitor_ms;
  for (const HeadResult& r : heads_) busy += r.static_ms + r.search_ms + r.retrieved_ms + r.merge_ms;
  const double f = busy > 0 ? wall / busy : 0;
  st.index_insert_ms += insert_ms * f;
  st.monitor_ms += monitor_ms * f;
  int sampled = 0;
  double recall = 0, mass = 0;
  for (int h = 0; h < H; ++h) {
    const HeadResult& r = heads_[size_t(h)];
    st.static_ms += r.static_ms * f;
    st.search_ms += r.search_ms * f;
    st.retrieved_ms += r.retrieved_ms * f;
    st.merge_ms += r.merge_ms * f;
    st.keys_scanned += r.scanned;
    st.keys_indexed += r.indexed;
    st.keys_retrieved += r.retrieved;
    st.add_position_weights(r.positions.data(), r.weights.data(), r.positions.size());
    if (r.sampled) {  // one sample per (layer, group): the mean over its heads
      if (h % n_gqa == 0) ++sampled;
      recall += r.recall / n_gqa;
      mass += r.mass / n_gqa;
    }
  }
  st.top_k = s_.top_k;
  if (sampled) {
    st.quality_samples += sampled;
    st.recall_sum += recall;
    st.mass_sum += mass;
    if (s_.widen_below > 0 && mass / sampled < s_.widen_below) {
      // the rest of this step and the next monitor_every steps (end_step()
      // counts this one down too), so the next monitor step measures the
      // widened beam and renews it while the mass stays low
      widen_steps_ = s_.monitor_every + 1;
      st.widened = true;
    }
  }
}

}  // namespace tome
