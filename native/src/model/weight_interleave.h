// The matrices the repacked 4-bit kernels read (Q4_0, IQ4_NL, MXFP4 where llama.cpp
// repacks them: kernels::interleaves_rows), copied at load with their rows interleaved
// (cpu/matmul.h: WeightMatrix::interleave) into memory the Weights own, so that a
// decode step reads each group of 8 rows as one sequential stream. The copies are the
// same bytes in another order: every product gives the same sums. The mapping's pages
// of the originals are released as each copy is made, so the resident size stays
// about the model's bytes (the copies are ordinary memory, as llama.cpp's repacked
// buffers are: they do not page back to the file under memory pressure).
#pragma once

#include "model/weights.h"

namespace tome {

class GgufFile;

// Every matrix of w that a matmul reads (not token_embd, nor a tied output, whose rows
// are read by token id). Throws std::bad_alloc when the copies do not fit.
void interleave_weights(Weights& w, const HParams& hp, const GgufFile& g);

}  // namespace tome
