// Software prefetch for the one-token (decode) kernels, which read each weight byte
// once: a row after the other, one sequential stream a thread.
//
// Why: on some hosts the hardware prefetcher follows such a stream too late, and a
// kernel then alternates computing and waiting for memory. Measured on an Intel Xeon
// (family 6 model 207, ~20-25 GB/s for a plain 2-thread read): a Q8_0 matvec over
// 285 MB read 11.3 GB/s with 2 threads, 18.6-19.1 with each block's line requested
// 2-4 KB ahead; the 1b shape's decode matmul 85-90 -> 50-69 ms a token.
// A prefetch past the row, the chunk or the matrix is harmless: it never faults, and
// the rows of a chunk lie one after another.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tome {
namespace kernels {

// How far ahead of the block being computed its stream is requested.
constexpr size_t kDecodePrefetchBytes = 4096;

// Requests the cache lines of the `Bytes` bytes kDecodePrefetchBytes past p: one line
// request per 64 bytes, so a stream of blocks of any size has every line requested
// (consecutive requests are at most 64 bytes apart).
// The address is formed as an integer: it may lie past the weights' object.
template <size_t Bytes>
inline void prefetch_ahead(const void* p) {
  const uintptr_t q = reinterpret_cast<uintptr_t>(p) + kDecodePrefetchBytes;
  for (size_t o = 0; o < Bytes; o += 64) __builtin_prefetch(reinterpret_cast<const void*>(q + o), 0, 3);
}

}  // namespace kernels
}  // namespace tome
