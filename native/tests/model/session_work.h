// The conversation the session store and budget tests replay: prefill a
// document, build the index, ask a question, decode greedily, committing the
// store every flush_every tokens. Runs from wherever the session stands (a
// restored prefix of seq). The reference run extends seq with the greedy
// tokens; a restored session has no logits of its last token (they are not
// stored), so it is given the whole reference sequence. And what these tests
// share besides: the vocabulary their synthetic models take, the skip when it
// (or SQLite) is missing, a bit-for-bit comparison of logits.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/thread_pool.h"
#include "kvstore/sqlite_db.h"
#include "model/model.h"
#include "model/session.h"
#include "model/synthetic_model.h"
#include "test_harness.h"

namespace session_work {

inline std::string vocab_path() { return tome_test::data_dir() + "/models/vocab/ggml-vocab-llama-spm.gguf"; }

// Skips the test without SQLite or without that vocabulary.
inline void skip_without_vocab() {
  if (!tome::sqlite_available()) SKIP("this build has no SQLite");
  if (FILE* f = std::fopen(vocab_path().c_str(), "rb")) std::fclose(f);
  else SKIP("test data not found (../shared or $TOME_TEST_DATA)");
}

// A tiny synthetic model (F16 weights, that vocabulary) written to path and loaded.
inline std::unique_ptr<tome::Model> tiny_model(const std::string& path, const std::string& arch, uint64_t seed) {
  tome::SyntheticModelSpec spec;
  spec.arch = arch;
  spec.shape = "tiny";
  spec.type = tome::GgmlType::F16;
  spec.vocab_path = vocab_path();
  spec.out_path = path;
  spec.seed = seed;
  tome::ThreadPool pool(2);
  tome::write_synthetic_model(spec, pool);
  return tome::Model::load(path);
}

// stories260K: the real model the store and query tests read documents with.
inline std::string stories_path() { return tome_test::data_dir() + "/models/stories260K.gguf"; }

// Skips the test without SQLite or without stories260K.
inline void skip_without_stories() {
  if (!tome::sqlite_available()) SKIP("this build has no SQLite");
  if (FILE* f = std::fopen(stories_path().c_str(), "rb")) std::fclose(f);
  else SKIP("test data not found (../shared or $TOME_TEST_DATA)");
}

// stories260K, loaded once per test binary.
inline tome::Model& stories() {
  static std::unique_ptr<tome::Model> m = tome::Model::load(stories_path());
  return *m;
}

// A retrieval session small enough for a document of a few hundred tokens to
// be indexed and searched: sinks 16, window 64, top-k 32, chunks of 64.
inline tome::SessionOptions small_retrieval() {
  tome::SessionOptions o;
  o.n_ctx = 1024;
  o.n_threads = 2;
  o.n_batch = 64;
  o.retrieval.mode = tome::AttentionMode::RETRIEVAL;
  o.retrieval.sinks = 16;
  o.retrieval.window = 64;
  o.retrieval.top_k = 32;
  return o;
}

// The captured query rows of every (layer, KV head), in order (export_qk).
inline std::vector<std::vector<float>> captured_queries(const tome::Session& s) {
  std::vector<std::vector<float>> out;
  std::vector<float> keys, q;
  for (int l = 0; l < s.model().hparams().n_layer; ++l)
    for (int g = 0; g < s.model().hparams().n_head_kv; ++g) {
      s.export_qk(l, g, keys, q);
      out.push_back(q);
    }
  return out;
}

inline bool same(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

struct Shape {
  int64_t doc = 0, question = 0;  // seq[0, doc) is the document, then the question
  int64_t end = 0;                // decode until the context holds this many tokens
  int64_t flush_every = 5;
  bool layer_major = false;       // prefill the document layer by layer (prefill_document)
};

inline int32_t argmax(const std::vector<float>& l) {
  return int32_t(std::max_element(l.begin(), l.end()) - l.begin());
}

inline void run(tome::Session& s, std::vector<int32_t>& seq, const Shape& w) {
  std::vector<float> logits;
  auto eval_range = [&](int64_t from, int64_t to, bool document) {
    if (s.n_past() >= to) return;
    const std::vector<int32_t> part(seq.begin() + std::max(from, s.n_past()), seq.begin() + to);
    logits = !document ? s.eval(part) : w.layer_major ? s.prefill_document(part) : s.prefill(part);
  };
  eval_range(0, w.doc, true);
  s.build_index();
  eval_range(w.doc, w.doc + w.question, false);
  while (s.n_past() < w.end) {
    const int64_t p = s.n_past();
    if (int64_t(seq.size()) <= p) {
      if (logits.empty()) throw tome::Error("TEST", "a restored session needs its next token given");
      seq.push_back(argmax(logits));
    }
    logits = s.eval({seq[size_t(p)]});
    if ((p + 1) % w.flush_every == 0) s.flush_store();
  }
  s.flush_store();
}

// What the finished context answers: the logits of one more token.
inline std::vector<float> probe(tome::Session& s) { return s.eval({42}); }

}  // namespace session_work
