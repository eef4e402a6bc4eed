// llama.cpp's K-quant file mixes (Q3_K_M, Q4_K_M, Q5_K_M, the files most models are
// published in): the type each matrix of such a file has, after llama-quant.cpp's
// recipe for a model that is not Falcon. The synthetic writer uses it so that benches
// and tests see a mix as published files have it, matrices of several types in one model.
#pragma once
#include <string>

#include "common/ggml_type.h"

namespace tome {

enum class KQuantMix { kNone, kQ3_K_M, kQ4_K_M, kQ5_K_M };

// The type most matrices of the mix have: Q3_K, Q4_K, Q5_K.
GgmlType kquant_mix_base(KQuantMix mix);
// The mix's general.file_type as llama.cpp's quantizer writes it (llama_ftype: Q3_K_M 12,
// Q4_K_M 15, Q5_K_M 17); -1 for kNone.
int kquant_mix_file_type(KQuantMix mix);

// The type of matrix `name` ("output.weight", "blk.N.attn_v.weight", "blk.N.ffn_down_exps.weight",
// ...) in a mix file of n_layer layers and n_expert experts (0 or 1: dense):
//   output.weight, and token_embd.weight where the model has no output.weight (tied): Q6_K;
//   attn_v and a fused attn_qkv of layer i of n: with 8 experts Q8_0; else Q4_K_M and
//     Q5_K_M Q6_K where use_more_bits(i, n) (the first and last eighth of the layers and
//     every third between), Q3_K_M Q5_K in layers 0 and 1 and Q4_K after;
//   attn_k: with 8 experts Q8_0;
//   ffn_down* (the experts' and a shared expert's too): Q4_K_M and Q5_K_M Q6_K where
//     use_more_bits, Q3_K_M Q5_K in the first sixteenth of the layers and Q4_K after;
//   attn_output: with 8 experts Q5_K (Q3_K_M, Q4_K_M), else Q4_K in Q3_K_M;
//   anything else (an untied model's token_embd among them): the base type.
// (llama.cpp's rules for 70B models and for Falcon are not here.)
GgmlType kquant_mix_type(KQuantMix mix, const std::string& name, int n_layer, int n_expert, bool tied_output);

}  // namespace tome
