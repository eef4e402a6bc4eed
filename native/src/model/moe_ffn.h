// A mixture-of-experts FFN (Mixtral's llama, Qwen3-MoE, Granite MoE, ERNIE 4.5 MoE) as
// llama.cpp's build_moe_ffn computes it with softmax gating: the router's logits (n_expert a
// token) become probabilities, the n_expert_used best experts are chosen (by the
// probabilities plus exp_probs_b where the layer has one), their probabilities
// normalized to sum 1 (the sum clamped below at 2^-14), each chosen expert runs a
// SwiGLU FFN n_ff_exp wide on the token, and the outputs, each times its weight, are
// added in order of rank; a shared expert's SwiGLU FFN (n_ff_shexp) is added to that sum.
// gpt-oss (hp.oai_moe, llama.cpp's SOFTMAX_WEIGHT gating): the logits plus the router's bias
// choose the experts and the softmax of the chosen logits weighs them; gate, up and down
// each get the expert's bias (ggml_add_id), the activation is swiglu_oai. qwen2moe: the chosen
// probabilities weigh as they are (not normalized), and the shared expert's output is
// multiplied by sigmoid(gate_inp_shexp . h), computed as silu(g) / g (ggml_silu's scalar
// g / (1 + expf(-g)), then ggml_div) before it joins the sum.
// Every step is ggml's CPU op in its own float order (soft_max,
// argsort, sum_rows, clamp, div, mul_mat_id, swiglu, mul, add), so the result is
// llama.cpp's wherever the matrix products are (cpu/matmul.h; the experts' in
// mul_mat_id's order, the router's in mul_mat's).
#pragma once
#include <cstdint>
#include <vector>

#include "model/hparams.h"
#include "model/weights.h"

namespace tome {

class ThreadPool;

class MoeFfn {
 public:
  // out (n, n_embd) = the block over h (n, n_embd), the FFN's normed input.
  // matmul_ms accumulates the time spent in matrix products.
  void forward(const LayerWeights& L, const HParams& hp, const float* h, int64_t n, float* out, ThreadPool& pool,
               std::vector<uint8_t>& scratch, double& matmul_ms);

 private:
  // One token's routing: p its router logits (n_expert, overwritten), c its K experts, w their weights.
  void route_softmax(const LayerWeights& L, float* p, int X, int K, int32_t* c, float* w, bool normalize);
  void route_oai(const LayerWeights& L, float* p, int X, int K, int32_t* c, float* w);

  std::vector<float> probs_;     // (n, n_expert): the router's logits, then probabilities
  std::vector<float> biased_;    // (n_expert): one token's probabilities plus exp_probs_b
  std::vector<int32_t> order_;   // (n_expert): top_experts' index buffer
  std::vector<int32_t> chosen_;  // (n, n_used): experts, best first
  std::vector<float> weights_;   // (n, n_used): their normalized probabilities
  std::vector<int32_t> slots_;   // slot ids t * n_used + j, grouped by expert
  std::vector<int64_t> first_;   // (n_expert + 1): each expert's first entry in slots_
  std::vector<float> in_, gate_, up_, down_;  // one expert's gathered rows
  std::vector<float> shexp_gate_;  // (n): qwen2moe's shared expert gate logits
  std::vector<float> weighted_;  // (n, n_used, n_embd): each slot's output times its weight
};

// One token's router logits (n) to probabilities in place, as ggml_soft_max on the CPU:
// exp of x - max over whole SIMD chunks by ggml's approximation (vector_exp.h), the
// rest by expf, summed in double, each then scaled by the float 1 / sum.
void router_softmax(float* row, int n);

// The k largest of p (n) by index, largest first (ggml_argsort descending, the first
// k); equal values in index order, NaN last.
void top_experts(const float* p, int n, int k, int32_t* out);
// The same with the caller's index buffer (a step's tokens reuse one).
void top_experts(const float* p, int n, int k, int32_t* out, std::vector<int32_t>& idx);

}  // namespace tome
