// Attention modes of a session and their settings (RetrievalAttention, arXiv
// 2409.10516, and its baselines). The defaults are justified by measurement in
// `tome bench settings` (README: "Retrieval settings").
#pragma once
#include <cstdint>
#include <string>

#include "attention/attention_math.h"
#include "retrieval/key_index.h"

namespace tome {

enum class AttentionMode {
  FULL,       // exact attention over every key (the oracle)
  RETRIEVAL,  // static set + keys found by the attention-aware graph index
  STREAMING,  // static set only (sinks + window)
  FLAT,       // static set + exact top-k by scanning every key
  IVF,        // static set + k-means lists over keys, nearest lists probed
};

const char* attention_mode_name(AttentionMode m);
// Throws tome::Error BAD_ARGUMENT for unknown names.
AttentionMode parse_attention_mode(const std::string& name);

struct RetrievalSettings {
  AttentionMode mode = AttentionMode::FULL;
  int sinks = 128;              // first tokens always attended (paper: 128)
  int window = 512;             // last tokens always attended (paper: 512)
  int top_k = 100;              // keys retrieved per query head
  int ef = 0;                   // graph search beam (0: the index default, 3 x top_k)
  int nprobe = 0;               // ivf lists probed (0: the index default)
  int degree = 32;              // graph out-degree M
  double query_sample = 0.25;   // share of prefill positions whose queries are kept for the graph
  // Of those, a level J > 0 keeps the positions whose hash is within (15/16)^J
  // of its range (model/query_sample.h): Session::seal_prefix sets it from the
  // document's length so that a read keeps about the queries its indexes are
  // built from. 0: every sampled position.
  int query_level = 0;
  GroupMode group = GroupMode::kUnion;  // GQA: search per query head (union) or once per group (mean)
  // Indexes holding fewer keys than this are searched exactly, by one scan of
  // their keys for all heads of the group (the same top-k as flat), instead of
  // through the index: below this crossover the scan costs less than a graph
  // search. 0 (the engine's default, what the index tests need): always the
  // index. The app and `tome run` pass DEFAULT_EXACT_BELOW (main/engine/native.ts).
  int64_t exact_below = 0;
  // Contexts whose index would hold fewer keys than this stay on full attention
  // (exact, and below the crossover cheaper than a graph search), their queries
  // kept: no index is built until the context grows past it. That build runs
  // at an evaluation of several tokens (a document, a question), at
  // build_index(), or at an answer's first token (a single token after several),
  // never at a decoded token after another: it takes seconds, and would stall an
  // answer mid-stream. 0 (the engine's default): an index from sinks + window +
  // 256 keys on. The app and `tome run` pass DEFAULT_FULL_BELOW.
  int64_t full_below = 0;
  // Live quality monitor: every monitor_every steps (0: off) compare, for
  // monitor_heads sampled (layer, KV head) pairs, the retrieved keys with the
  // exact top-k: recall@k and the softmax mass captured. When a monitored layer's
  // captured mass falls below widen_below (in [0, 1]; 0: never), the search beam
  // doubles for that step's later layers and the next monitor_every steps.
  int monitor_every = 16;
  int monitor_heads = 4;
  double widen_below = 0.0;
  // Graph indexes repair their connectivity (RoarGraphIndex::reconnect) once
  // per this many inserted keys (0: never), each index at its own phase: an
  // insert that re-prunes a neighbour's list can leave an earlier key with no
  // in-edge, unreachable by any search (1 key in 4096 inserts in
  // test_roar_graph). A reconnect at 128K keys (d 64) is a BFS of ~13.5 ms:
  // 90 indexes (smol) cost ~0.3 ms per token on average.
  int64_t reconnect_every = 4096;
  // llama.cpp's numerics (oracle parity) or exact f32 (see attention_math.h).
  AttentionNumerics numerics = AttentionNumerics::LLAMA_CPP;
  // Graph indexes read their keys in place from the KV cache's K rows instead
  // of keeping an f16 copy (128 bytes a key at head dim 64, a third of an
  // index). Needs rows that stay in RAM: Session sets it when no RAM budget
  // can release them. Not a search setting: results are identical either way.
  bool share_cache_keys = false;
};

}  // namespace tome
