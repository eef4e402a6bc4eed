// bench_index: recall@k versus fraction of keys scanned for the retrieval
// indexes (graph = RoarGraphIndex built from training queries, ivf = k-means
// over keys, flat = exact scan; optionally graph_keys = the same graph code
// built from the keys alone, an NSW/HNSW-like key-only baseline) on a seeded
// synthetic workload (retrieval/synthetic_workload.h) or a captured one (--file,
// bench/workload_io.h). One JSON object per line:
//   {"index":..,"workload":..,"n_keys":..,"d":..,"k":..,"param":..,"recall":..,
//    "scanned_frac":..,"search_us":..,"build_s":..}
// plus one {"build":..} line per built index with its phase times.
// Searches are single-threaded (one query at a time, as at a decode step; timed
// in thread CPU time);
// builds use --threads.
//   bench_index [--workload ood|gaussian] [--n 131072] [--d 128] [--train 32768]
//               [--test 200] [--k 100] [--threads 2] [--quick] [--keys-graph]
//               [--no-ivf] [--no-flat] [--no-graph] [--seed 1]
//               [--nav codes|keys|both] graph rows navigating by the int8 codes ("graph",
//                                       the default) and/or by the f16 keys ("graph_f16nav")
//               [--reps N]              graph rows measured N times each (interleaved)
//               [--inserts N]           graph built over the first n - N keys, the last N
//                                       inserted one at a time ({"inserts":N,"insert_us":..})
//               [--width W1,W2,..]      graph rows at these search widths (expansions per
//                                       round, graph_search.cpp; rows "graph_wW"); default 8
//               [--cold N]              graph searches cycle over N copies of the index
//                                       (cold caches and TLBs, as at a decode step); with
//                                       --inserts, each key also goes into N copies in
//                                       turn first ({"insert_us_cold":..})
//               [--file PATH]           captured workload: keys + prefill queries,
//                                       --test of them held out (seeded); k <= n_keys
//               [--dump-workload PATH]  write keys, test queries and exact truth
//                                       (for the HNSW rows computed in JS)
//               graph build knobs: [--kq --M --R --pivot-cap --entries --ef-link
//               --alpha --link-l2 --link-queries --link-sample] (roar_graph.h)
// --quick keeps one row per index (graph at its default ef; ivf and graph_keys at
// the smallest nprobe / ef reaching recall 0.95, else their best; see sweep()).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <memory>
#include <string>
#include <vector>

#include "cpu/thread_pool.h"
#include "retrieval/flat_index.h"
#include "retrieval/graph_search.h"
#include "retrieval/ivf_index.h"
#include "retrieval/knn_batch.h"
#include "retrieval/roar_graph.h"
#include "retrieval/synthetic_workload.h"
#include "workload_io.h"

using namespace tome;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
// CPU time of the calling thread: search times that other processes on a
// busy machine (preempting this one) do not inflate.
double thread_cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

struct Eval {
  double recall = 0, scanned_frac = 0, search_us = 0;
};

// Searches cycle over `copies` (the index and byte-identical copies of it):
// with enough copies every search starts from cold caches and TLBs, as at a
// decode step, which searches a different (layer, KV head) index each time.
std::vector<std::unique_ptr<KeyIndex>> g_copies;

// n byte-identical copies of an index (through its image).
std::vector<std::unique_ptr<KeyIndex>> copies_of(const RoarGraphIndex& g, int n) {
  const std::vector<uint8_t> image = g.serialize(true);
  std::vector<std::unique_ptr<KeyIndex>> out;
  for (int c = 0; c < n; ++c) out.push_back(deserialize_index(image.data(), image.size()));
  return out;
}

Eval evaluate(const KeyIndex& ix0, const Workload& w, const std::vector<int32_t>& truth, int k, SearchParams sp) {
  Eval e;
  SearchResult r;
  double scanned = 0;
  const double t0 = thread_cpu_s();
  for (int64_t i = 0; i < w.n_test; ++i) {
    const KeyIndex& ix = g_copies.empty() ? ix0 : *g_copies[size_t(i) % g_copies.size()];
    ix.search(w.test.data() + size_t(i) * w.d, sp, r);
    e.recall += recall_at_k(r.ids.data(), int64_t(r.ids.size()), truth.data() + size_t(i) * k, k);
    scanned += double(r.keys_scanned);
  }
  e.search_us = (thread_cpu_s() - t0) * 1e6 / double(w.n_test);
  e.recall /= double(w.n_test);
  e.scanned_frac = scanned / double(w.n_test) / double(w.n_keys);
  return e;
}

void row(const char* index, const char* workload, const Workload& w, int k, const char* param_name, int param,
         const Eval& e, double build_s) {
  std::printf(
      "{\"index\":\"%s\",\"workload\":\"%s\",\"n_keys\":%lld,\"d\":%d,\"k\":%d,\"%s\":%d,\"recall\":%.4f,"
      "\"scanned_frac\":%.5f,\"search_us\":%.1f,\"build_s\":%.3f}\n",
      index, workload, (long long)w.n_keys, w.d, k, param_name, param, e.recall, e.scanned_frac, e.search_us, build_s);
  std::fflush(stdout);
}

// The recall the --quick rows are chosen by (the issue's goal for recall@100).
constexpr double kTargetRecall = 0.95;

// Evaluates `eval(param)` over params increasing in work (and, roughly, in
// recall). Full runs print every row; --quick prints one: the smallest param
// reaching kTargetRecall, else the best.
// With `refine`, the gap between the last param below the target and the first
// reaching it is bisected, so the row reports the least work that reaches it
// (a doubling sweep alone can overstate it by up to 2x).
template <class EvalFn>
void sweep(const char* index, const char* workload, const Workload& w, int k, const char* pname,
           const std::vector<int>& params, bool quick, bool refine, double build_s, EvalFn eval) {
  int best_p = 0, lo = 0, hit = 0;
  Eval best, hit_e;
  for (int p : params) {
    const Eval e = eval(p);
    if (!quick) row(index, workload, w, k, pname, p, e, build_s);
    if (e.recall > best.recall || best_p == 0) best = e, best_p = p;
    if (e.recall >= kTargetRecall) {
      if (!hit) hit = p, hit_e = e;
      if (quick) break;  // full runs go on: the rest of the curve
    } else if (!hit) {
      lo = p;
    }
  }
  if (hit && refine) {
    for (int a = lo, b = hit; b - a > 1;) {  // invariant: a misses the target (or is 0), b reaches it
      const int mid = a + (b - a) / 2;
      const Eval e = eval(mid);
      if (!quick) row(index, workload, w, k, pname, mid, e, build_s);
      if (e.recall >= kTargetRecall) b = mid, hit = mid, hit_e = e;
      else a = mid;
    }
  }
  if (quick) {
    if (hit) row(index, workload, w, k, pname, hit, hit_e, build_s);
    else row(index, workload, w, k, pname, best_p, best, build_s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string workload = "ood";
  int64_t n = 131072, n_train = 32768, n_test = 200;
  int d = 128, k = 100, threads = 2;
  int cold_copies = 0;
  std::string nav = "codes";
  int reps = 1;
  int64_t inserts = 0;
  std::vector<int> widths{0};
  bool quick = false, keys_graph = false, skip_ivf = false, skip_flat = false, skip_graph = false;
  std::string file, dump;
  GraphBuildParams gp;
  OodWorkloadParams op;
  uint64_t seed = 1;
  float decay_dims = 0.0f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value after %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--workload") workload = next();
    else if (a == "--n") n = std::atoll(next());
    else if (a == "--d") d = std::atoi(next());
    else if (a == "--train") n_train = std::atoll(next());
    else if (a == "--test") n_test = std::atoll(next());
    else if (a == "--k") k = std::atoi(next());
    else if (a == "--threads") threads = std::atoi(next());
    else if (a == "--quick") quick = true;
    else if (a == "--cold") cold_copies = std::atoi(next());
    else if (a == "--nav") nav = next();
    else if (a == "--reps") reps = std::atoi(next());
    else if (a == "--inserts") inserts = std::atoll(next());
    else if (a == "--width") {
      const std::string s = next();
      widths.clear();
      for (size_t p0 = 0; p0 <= s.size();) {
        size_t p1 = s.find(',', p0);
        if (p1 == std::string::npos) p1 = s.size();
        widths.push_back(std::atoi(s.substr(p0, p1 - p0).c_str()));
        p0 = p1 + 1;
      }
    }
    else if (a == "--keys-graph") keys_graph = true;
    else if (a == "--no-ivf") skip_ivf = true;
    else if (a == "--no-flat") skip_flat = true;
    else if (a == "--no-graph") skip_graph = true;
    else if (a == "--file") file = next();
    else if (a == "--dump-workload") dump = next();
    else if (a == "--kq") gp.kq = std::atoi(next());
    else if (a == "--M") gp.M = std::atoi(next());
    else if (a == "--R") gp.R = std::atoi(next());
    else if (a == "--pivot-cap") gp.pivot_cap = std::atoi(next());
    else if (a == "--entries") gp.n_entry = std::atoi(next());
    else if (a == "--ef-link") gp.ef_link = std::atoi(next());
    else if (a == "--alpha") gp.alpha = float(std::atof(next()));
    else if (a == "--rank-slots") gp.rank_slots = std::atoi(next());
    else if (a == "--link-l2") gp.link_metric = LinkMetric::kL2;
    else if (a == "--link-queries") gp.link_queries = std::atoi(next());
    else if (a == "--link-sample") gp.link_query_sample = std::atoll(next());
    else if (a == "--topics") op.n_topics = std::atoi(next());
    else if (a == "--topic-gain") op.topic_gain = float(std::atof(next()));
    else if (a == "--query-noise") op.query_noise = float(std::atof(next()));
    else if (a == "--content-std") op.content_std = float(std::atof(next()));
    else if (a == "--decay-dims") decay_dims = float(std::atof(next()));
    else if (a == "--seed") seed = std::strtoull(next(), nullptr, 10);
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  ThreadPool pool(threads);

  Workload w;
  if (!file.empty()) {
    try {
      w = bench::read_captured_workload(file, n_test, seed);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
    workload = "captured";
  } else if (workload == "gaussian") {
    w = make_gaussian_workload(n, n_train, n_test, d, seed, decay_dims);
  } else {
    op.d = d;
    op.n_keys = n;
    op.n_train = n_train;
    op.n_test = n_test;
    op.seed = seed;
    w = make_ood_workload(op);
    workload = "ood";
  }
  const char* wl = workload.c_str();
  n = w.n_keys, n_train = w.n_train, n_test = w.n_test, d = w.d;
  k = int(std::min<int64_t>(k, n));  // a short captured context may hold fewer than k keys
  std::vector<int32_t> truth(size_t(n_test) * k);
  knn_batch(w.test.data(), n_test, size_t(d), w.keys.data(), n, size_t(d), d, k, nullptr, truth.data(), nullptr,
            &pool);
  if (!dump.empty()) {
    try {
      bench::write_workload_dump(dump, w, truth, k);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
  }

  // flat
  if (!skip_flat) {
    FlatIndex flat(d);
    const double t0 = now_s();
    flat.add(w.keys.data(), n, size_t(d));
    const double b = now_s() - t0;
    SearchParams sp;
    sp.k = k;
    row("flat", wl, w, k, "threads", 1, evaluate(flat, w, truth, k, sp), b);
  }

  // graph (from training queries)
  if (!skip_graph) {
    GraphBuildStats st;
    // --inserts N: the graph is built over the first n - N keys and the last N
    // are inserted one by one (as keys leaving the window at decode steps)
    const int64_t n_ins = std::min<int64_t>(std::max<int64_t>(inserts, 0), n - 1);
    auto g = RoarGraphIndex::build(w.keys.data(), n - n_ins, size_t(d), d, w.train.data(), n_train, size_t(d), gp,
                                   &pool, &st);
    if (n_ins > 0 && cold_copies > 1) {
      // each key into every copy in turn, as a decode step inserts into every
      // (layer, KV head) index: each insert meets cold caches and TLBs
      const std::vector<std::unique_ptr<KeyIndex>> copies = copies_of(*g, cold_copies);
      const double t0 = thread_cpu_s();
      for (int64_t j = n - n_ins; j < n; ++j)
        for (auto& c : copies) c->insert(w.keys.data() + size_t(j) * d);
      std::printf("{\"inserts\":%lld,\"copies\":%d,\"insert_us_cold\":%.1f}\n", (long long)n_ins, cold_copies,
                  (thread_cpu_s() - t0) * 1e6 / double(n_ins) / double(cold_copies));
      // the connectivity pass a decode runs every reconnect_every inserts an
      // index, on each copy in turn (cold, as in a decode step)
      const double t1 = thread_cpu_s();
      int64_t edges = 0;
      for (auto& c : copies) edges += static_cast<RoarGraphIndex&>(*c).reconnect(nullptr);
      std::printf("{\"reconnect_ms_cold\":%.2f,\"reconnect_edges\":%lld}\n",
                  (thread_cpu_s() - t1) * 1e3 / double(cold_copies), (long long)edges);
    }
    if (n_ins > 0) {
      const double t0 = thread_cpu_s();
      for (int64_t j = n - n_ins; j < n; ++j) g->insert(w.keys.data() + size_t(j) * d);
      std::printf("{\"inserts\":%lld,\"insert_us\":%.1f}\n", (long long)n_ins, (thread_cpu_s() - t0) * 1e6 / double(n_ins));
    }
    std::printf(
        "{\"build\":\"graph\",\"n_keys\":%lld,\"n_queries\":%lld,\"threads\":%d,\"knn_s\":%.3f,\"project_s\":%.3f,"
        "\"link_s\":%.3f,\"reverse_s\":%.3f,\"connect_s\":%.3f,\"total_s\":%.3f,\"pivots\":%lld,\"linked\":%lld,"
        "\"reconnected\":%lld,\"edges\":%lld,\"reachable\":%lld,\"bytes\":%zu,\"cpu_s\":{\"knn\":%.3f,"
        "\"project\":%.3f,\"link\":%.3f,\"reverse\":%.3f,\"connect\":%.3f,\"total\":%.3f},"
        "\"knn_gflop\":%.1f}\n",
        (long long)n, (long long)st.n_queries, threads, st.knn_s, st.project_s, st.link_s, st.reverse_s,
        st.connect_s, st.total_s, (long long)st.n_pivots, (long long)st.n_linked, (long long)st.n_reconnected,
        (long long)st.n_edges, (long long)g->reachable_count(), g->bytes(), st.knn_cpu_s, st.project_cpu_s,
        st.link_cpu_s, st.reverse_cpu_s, st.connect_cpu_s, st.total_cpu_s,
        2.0 * double(st.n_queries) * double(n) * d / 1e9);
    g_copies.clear();
    if (cold_copies > 1) g_copies = copies_of(*g, cold_copies);
    const std::vector<int> efs = quick ? std::vector<int>{0} : std::vector<int>{k, k * 3 / 2, 2 * k, 3 * k, 4 * k, 6 * k};
    for (int ef : efs)
      for (int rep = 0; rep < reps; ++rep)
      for (int width : widths)
      for (int by_keys = 0; by_keys < 2; ++by_keys) {
        if (nav != "both" && (nav == "keys") != bool(by_keys)) continue;
        SearchParams sp;
        sp.k = k;
        sp.ef = ef;
        sp.nav_keys = by_keys != 0;
        set_decode_search_width(width > 0 ? width : 8);
        std::string name = by_keys ? "graph_f16nav" : "graph";
        if (width > 0) name += "_w" + std::to_string(width);
        row(name.c_str(), wl, w, k, "ef", ef ? ef : 3 * k, evaluate(*g, w, truth, k, sp), st.total_s);
      }
  }

  g_copies.clear();
  if (keys_graph) {
    GraphBuildStats st;
    auto g = RoarGraphIndex::build(w.keys.data(), n, size_t(d), d, nullptr, 0, size_t(d), gp, &pool, &st);
    sweep("graph_keys", wl, w, k, "ef", {k, 2 * k, 4 * k, 8 * k, 16 * k}, quick, false, st.total_s, [&](int ef) {
      SearchParams sp;
      sp.k = k;
      sp.ef = ef;
      return evaluate(*g, w, truth, k, sp);
    });
  }

  // ivf (k-means over keys)
  if (!skip_ivf) {
    const double t0 = now_s();
    IvfParams ip;
    ip.seed = seed;
    auto ivf = IvfIndex::build(w.keys.data(), n, size_t(d), d, ip, &pool);
    const double b = now_s() - t0;
    std::vector<int> nprobes;
    for (int p = 1; p < ivf->nlist(); p *= 2) nprobes.push_back(p);
    nprobes.push_back(ivf->nlist());
    sweep("ivf", wl, w, k, "nprobe", nprobes, quick, true, b, [&](int nprobe) {
      SearchParams sp;
      sp.k = k;
      sp.nprobe = nprobe;
      return evaluate(*ivf, w, truth, k, sp);
    });
  }
  return 0;
}
