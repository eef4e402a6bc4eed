// Loaded weights (model/weight_interleave.h): every matrix the repacked 4-bit kernels
// read is held interleaved, holding exactly its tensor's blocks (row r's block i at
// the documented place), a tied output too (and the embedding with it); every other
// matrix and an untied embedding still read the mapping in place. Within a budget:
// none without one, the dense matrices before a mixture's experts. With
// test_cpu_interleaved_rows (an interleaved product, and a row looked up, equal the
// row-major ones bit for bit) this keeps a model's numerics; the synthetic-vs-llamacpp
// tests hold whole models to llama.cpp.
#include <cstdint>
#include <cstring>
#include <string>

#include "cpu/kernels.h"
#include "cpu/thread_pool.h"
#include "gguf/gguf_file.h"
#include "model/hparams.h"
#include "model/synthetic_model.h"
#include "model/weight_interleave.h"
#include "model/weights.h"
#include "temp_dir.h"
#include "test_harness.h"

using tome::GgmlType;
namespace k = tome::kernels;

namespace {

std::string vocab_path() { return tome_test::data_dir() + "/models/stories260K.gguf"; }

struct Counts {
  int interleaved = 0, in_place = 0;
  bool tied_output_interleaved = false;
};

// m against rows [row0, row0 + m.rows) of tensor `name`; whole_rows: the rows that must be
// whole groups (an expert's).
void check_matrix(const tome::GgufFile& g, const tome::WeightMatrix& m, const std::string& name, int64_t row0,
                  int64_t whole_rows, bool may_interleave, Counts& counts) {
  const tome::GgufTensorInfo* t = g.tensor(name);
  if (!t) TOME_FAIL("no tensor " + name);
  const uint8_t* src = t->data + size_t(row0) * m.row_bytes;
  const bool want = may_interleave && k::interleaves_rows(m.type, whole_rows) && k::interleaves_rows(m.type, m.rows);
  if (!want) {
    if (m.interleave != 1 || m.data != src) TOME_FAIL(name + " should read the mapping in place");
    ++counts.in_place;
    return;
  }
  if (m.interleave != k::kInterleaveRows || m.data == src) TOME_FAIL(name + " should be interleaved");
  const size_t bb = tome::ggml_type_traits(m.type)->type_size, nb = m.row_bytes / bb;
  for (int64_t r = 0; r < m.rows; ++r)
    for (size_t i = 0; i < nb; ++i) {
      const uint8_t* got = m.data + size_t(r / 8) * 8 * m.row_bytes + (i * 8 + size_t(r % 8)) * bb;
      if (std::memcmp(got, src + size_t(r) * m.row_bytes + i * bb, bb) != 0)
        TOME_FAIL(name + " row " + std::to_string(r) + " block " + std::to_string(i) + " differs");
    }
  ++counts.interleaved;
}

// The model's matrices after interleave_weights() with the given budget: dense ones may
// interleave (dense_fit), experts may (experts_fit), the rest read the mapping in place.
Counts check_model(const std::string& path, uint64_t budget, bool dense_fit, bool experts_fit,
                   uint64_t* dense_bytes = nullptr) {
  auto g = tome::GgufFile::open(path);
  const tome::HParams hp = tome::read_hparams(*g);
  tome::Weights w = tome::load_weights(*g, hp);
  const uint64_t copied = tome::interleave_weights(w, hp, *g, budget);
  if (copied > budget)
    TOME_FAIL("copied " + std::to_string(copied) + " bytes over a budget of " + std::to_string(budget));
  Counts c;
  uint64_t dense = 0;
  auto count_dense = [&](const tome::WeightMatrix& m) {
    if (m.interleave != 1) dense += uint64_t(m.rows) * m.row_bytes;
  };
  // the embedding's rows are read by token id: held only as a tied output's copy
  check_matrix(*g, w.token_embd, "token_embd.weight", 0, w.token_embd.rows, w.tied_output && dense_fit, c);
  if (w.tied_output && (w.token_embd.data != w.output.data || w.token_embd.interleave != w.output.interleave))
    TOME_FAIL("a tied output and the embedding read different bytes");
  check_matrix(*g, w.output, w.tied_output ? "token_embd.weight" : "output.weight", 0, w.output.rows, dense_fit, c);
  count_dense(w.output);
  c.tied_output_interleaved = w.tied_output && w.output.interleave != 1;
  for (int l = 0; l < hp.n_layer; ++l) {
    const tome::LayerWeights& L = w.layers[size_t(l)];
    const std::string p = "blk." + std::to_string(l) + ".";
    auto plain = [&](const tome::WeightMatrix& m, const std::string& name) {
      check_matrix(*g, m, p + name, 0, m.rows, dense_fit, c);
    };
    if (g->tensor(p + "attn_qkv.weight")) {  // row ranges of one tensor, each held on its own
      check_matrix(*g, L.wq, p + "attn_qkv.weight", 0, L.wq.rows, dense_fit, c);
      check_matrix(*g, L.wk, p + "attn_qkv.weight", L.wq.rows, L.wk.rows, dense_fit, c);
      check_matrix(*g, L.wv, p + "attn_qkv.weight", L.wq.rows + L.wk.rows, L.wv.rows, dense_fit, c);
    } else {
      plain(L.wq, "attn_q.weight");
      plain(L.wk, "attn_k.weight");
      plain(L.wv, "attn_v.weight");
    }
    plain(L.wo, "attn_output.weight");
    if (L.gate_exps.data) {
      for (auto [m, name] : {std::pair{&L.gate_exps, "ffn_gate_exps.weight"}, {&L.up_exps, "ffn_up_exps.weight"},
                             {&L.down_exps, "ffn_down_exps.weight"}})
        check_matrix(*g, *m, p + name, 0, m->rows / hp.n_expert, experts_fit, c);
      const tome::WeightMatrix e1 = tome::expert_rows(L.up_exps, hp.n_expert, 1);  // a view keeps the layout
      CHECK_EQ(e1.interleave, L.up_exps.interleave);
      CHECK(e1.data == L.up_exps.data + size_t(e1.rows) * e1.row_bytes);
    } else if (g->tensor(p + "ffn_gate.weight")) {
      plain(L.w_gate, "ffn_gate.weight");
      plain(L.w_up, "ffn_up.weight");
    } else {  // phi3: gate rows first in one ffn_up
      check_matrix(*g, L.w_gate, p + "ffn_up.weight", 0, L.w_gate.rows, dense_fit, c);
      check_matrix(*g, L.w_up, p + "ffn_up.weight", L.w_gate.rows, L.w_up.rows, dense_fit, c);
    }
    if (!L.gate_exps.data) plain(L.w_down, "ffn_down.weight");
    for (const tome::WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) count_dense(*m);
  }
  if (dense_bytes) *dense_bytes = dense;
  return c;
}

}  // namespace

TEST(loaded_matrices_interleave_where_the_kernels_read_the_layout) {
  if (FILE* f = std::fopen(vocab_path().c_str(), "rb")) std::fclose(f);
  else SKIP("test data not found (../shared or $TOME_TEST_DATA)");
  const bool repacks = k::llama_repacks(GgmlType::Q4_0, 8);
  struct Case {
    const char* arch;
    GgmlType type;
  };
  const Case cases[] = {{"llama", GgmlType::Q4_0}, {"phi3", GgmlType::IQ4_NL}, {"qwen3moe", GgmlType::MXFP4},
                        {"gemma3", GgmlType::Q4_0}, {"llama", GgmlType::Q8_0}};
  tome_test::TempDir dir;
  tome::ThreadPool pool(2);
  bool tied_seen = false;
  for (const Case& cs : cases) {
    const std::string label = std::string(cs.arch) + " " + tome::ggml_type_name(uint32_t(cs.type));
    tome::SyntheticModelSpec spec;
    spec.arch = cs.arch;
    spec.type = cs.type;
    spec.vocab_path = vocab_path();
    spec.out_path = dir.file("m.gguf");
    tome::write_synthetic_model(spec, pool);
    uint64_t dense = 0;
    const Counts c = check_model(spec.out_path, UINT64_MAX, true, true, &dense);
    std::printf("%s: %d interleaved, %d in place\n", label.c_str(), c.interleaved, c.in_place);
    // no budget: everything reads the mapping; the dense matrices' bytes: they, not the experts
    if (check_model(spec.out_path, 0, false, false).interleaved != 0) TOME_FAIL(label + ": interleaved with no budget");
    if (dense > 0 && std::string(cs.arch) == "qwen3moe") check_model(spec.out_path, dense, true, false);
    // the 4-bit files' matrices interleave where llama.cpp repacks (an AVX2 CPU); Q8_0's never
    if (cs.type != GgmlType::Q8_0 && repacks && c.interleaved == 0) TOME_FAIL(label + ": nothing interleaved");
    if ((cs.type == GgmlType::Q8_0 || !repacks) && c.interleaved != 0) TOME_FAIL(label + ": interleaved");
    tied_seen = tied_seen || c.tied_output_interleaved;
  }
  if (repacks && !tied_seen) TOME_FAIL("no case had a tied output held interleaved (gemma3's is tied)");
}

TOME_TEST_MAIN()
