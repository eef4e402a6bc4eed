// Fingerprints that tie a KV store to the model and tokenizer that produced it.
// A store is used only when both match exactly (kvstore/kv_store.h).
//   model      "<arch>:<dominant tensor type>:<16 hex>", the hash covering every
//              metadata key outside tokenizer.* (hyperparameters), the tensor
//              table (name, type, shape, offset), the file size, and the first
//              and last 4 KiB of every tensor's bytes: a re-quantized,
//              fine-tuned or truncated file differs, and it costs milliseconds
//              even for a multi-GB model (hashing all weights would take seconds).
//   tokenizer  "<tokenizer.ggml.model>:<16 hex>" over every tokenizer.* key
//              (tokens, scores, types, merges, pre-tokenizer, special ids, flags).
#pragma once
#include <string>

namespace tome {

class Model;

std::string model_fingerprint(const Model& model);
std::string tokenizer_fingerprint(const Model& model);

}  // namespace tome
