// Seeded synthetic (keys, queries) workloads for the index tests and
// `tome bench index`, and the recall measure they are scored with.
//
// make_gaussian_workload: keys and queries i.i.d. N(0, diag(s_i^2)) with
//   s_i = exp(-i / decay_dims) (decay_dims <= 0: s_i = 1, isotropic): the
//   in-distribution case that key-only indexes are designed for. A decaying
//   spectrum gives the low effective dimension of real attention vectors; the
//   isotropic case is the hardest for every index (no structure to exploit).
//
// make_ood_workload: keys and queries from DIFFERENT distributions, shaped like
// what RetrievalAttention reports for real attention (queries and keys occupy
// different regions; a query's top keys are far apart from each other in key
// space). With an orthonormal basis split into a "content" subspace C (first
// d/2 directions) and a "match" subspace S (last d/2):
//   key j   = mu_k + C (content_std z_c)  +  S (tau_t(j) + key_noise z_e)
//   query i = mu_q + C (query_content z') +  S (topic_gain tau_t(i) + query_noise z_q)
//   sink    = mu_k + sink_norm u_q                    (a few, at random ids)
// where z ~ N(0, I) per row; tau_t ~ N(0, topic_std^2 I) is a "topic"; keys come
// in passages of `passage` consecutive ids sharing a topic; a text has at most
// n_topics distinct topics (themes, characters), so in a long text topics recur
// in several passages at random places (128K keys: 512 passages, each of the
// 128 topics in ~4 of them; up to 32K keys every passage has its own topic);
// t(j) = topic of j's passage; a query picks a topic uniformly; mu_k = key_offset u_k
// and mu_q = query_offset u_q are shared offset vectors along two random unit
// directions u_k, u_q. So:
//   - a query's scores are driven by S (its topic): at 128K keys about 83 of its
//     top-100 keys lie in its topic's passages, 4 are the sinks (in every
//     query's top-k) and the rest are scattered keys whose random terms add up;
//   - key-to-key L2 distances are dominated by the content noise in C, which
//     queries barely weight: clusters of keys (IVF) or key-key neighbours (HNSW)
//     mix passages, so a key-only index must scan much of the data;
//   - the sinks mimic attention sinks: huge norm along the mean query direction.
// Training queries (the "prefill" queries the graph is built from) and test
// queries (the "decode" queries) are independent draws from the same query
// distribution.
#pragma once
#include <cstdint>
#include <vector>

namespace tome {

struct Workload {
  int d = 0;
  int64_t n_keys = 0, n_train = 0, n_test = 0;
  std::vector<float> keys;     // (n_keys, d)
  std::vector<float> train;    // (n_train, d) queries to build from
  std::vector<float> test;     // (n_test, d) queries to evaluate with
};

Workload make_gaussian_workload(int64_t n_keys, int64_t n_train, int64_t n_test, int d, uint64_t seed,
                                float decay_dims = 0.0f);

struct OodWorkloadParams {
  int d = 128;
  int64_t n_keys = 32768, n_train = 32768, n_test = 200;
  int passage = 256;          // consecutive keys sharing a topic
  int n_topics = 128;         // distinct topics (0: one per passage); passages beyond it repeat topics
  int n_sinks = 4;
  float key_offset = 3.0f;    // |mu_k|
  float query_offset = 2.0f;  // |mu_q|
  float content_std = 1.5f;   // key spread in C (what key-only indexes see)
  float topic_std = 0.5f;     // topic vectors in S
  float key_noise = 0.35f;    // key spread in S around its topic
  float topic_gain = 1.0f;    // query's weight on its topic
  float query_noise = 0.5f;   // query spread in S
  float query_content = 0.15f;  // query spread in C
  float sink_norm = 12.0f;
  uint64_t seed = 1;
};

Workload make_ood_workload(const OodWorkloadParams& p);

// |found intersect truth[0..k)| / k, found being any list of ids.
double recall_at_k(const int32_t* found, int64_t n_found, const int32_t* truth, int k);

}  // namespace tome
