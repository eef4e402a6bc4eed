// The matrices the repacked 4-bit kernels read (Q4_0, IQ4_NL, MXFP4 where llama.cpp
// repacks them: kernels::interleaves_rows), copied at load with their rows interleaved
// (cpu/matmul.h: WeightMatrix::interleave) into memory the Weights own, so that a
// decode step reads each group of 8 rows as one sequential stream. The copies are the
// same bytes in another order: every product gives the same sums. The mapping's pages
// of the originals are released as each copy is made, so the resident size stays
// about the model's bytes. But the copies are ordinary memory, as llama.cpp's repacked
// buffers are: they do not page back to the file under memory pressure, where the
// mapping's pages do (a mixture's cold experts, a model larger than the RAM). So they
// are made within a budget: the output and the layers' dense matrices first (read
// every token), then the expert stacks; a matrix that does not fit stays mapped.
#pragma once
#include <cstdint>

#include "model/weights.h"

namespace tome {

class GgufFile;

// Every matrix of w that a matmul reads, a tied output included (token_embd then reads
// the same copy; an untied token_embd, whose rows are read by token id, a few a token,
// keeps the mapping), while the copies' bytes stay within budget_bytes. Returns the
// bytes copied.
// Throws std::bad_alloc when a copy cannot be allocated.
uint64_t interleave_weights(Weights& w, const HParams& hp, const GgufFile& g, uint64_t budget_bytes);

// The budget Model::load gives it: half the memory the system has available now
// (common/system_memory.h), so the copies leave room for the KV cache and the rest.
uint64_t default_interleave_budget();

}  // namespace tome
