// Internal kernel tables behind quant.h and matmul.h: one dot-product kernel per
// weight type and one activation converter per vec_dot_type, in a scalar and (on
// x86-64) an AVX2+FMA+F16C flavour. Not part of the public API.
//
// Numerics contract (what makes the two flavours bit-exact and matmul results
// independent of threads and tiling): every kernel follows one canonical order of
// floating-point operations, written out in the scalar kernels and reproduced
// lane for lane by the SIMD kernels. The orders are those of the ggml code that
// llama.cpp runs for the type on an AVX2 CPU (checked bit for bit against ggml's
// own libraries in tests/cpu/test_cpu_ggml_oracle.cpp where ggml exports it):
//   F16/BF16:      32 fused-multiply-add accumulators (element i feeds i % 32),
//                  folded as ((a0+a2)+(a1+a3)) per lane of 8, then hsum8 (below),
//                  then the n % 32 tail fused into the sum in order.
//   F32:           ggml_vec_dot_f32 of the build llama.cpp loads (f32_dot_lanes(): L = 16
//                  on AVX-512, else 8): 4 accumulators of L lanes (step 4L), folded
//                  ((a0+a2)+(a1+a3)), the lanes summed as the build reduces them (L 8:
//                  t_l = v_l + v_l+4, (t0+t1)+(t2+t3); L 16: u_l = v_l+8 + v_l, w_l =
//                  u_l+4 + u_l, (w0+w2)+(w1+w3)), then the n % 4L tail in order: its
//                  first f32_tail_unfused() elements as sum + round(x*y), the rest fused.
//   Q8_0/Q4_0/IQ4_NL/MXFP4 x Q8_0: per block, 8 exact integer partial sums over elements
//                  4l..4l+3; acc[l] = fma(float(partial), dw*da, acc[l]); hsum8(acc).
//                  (ggml's AVX2 vec_dot for Q8_0, Q4_0; MXFP4's dw is half its E8M0 scale.)
//   Q4_1/Q5_1 x Q8_1: the same lanes over unsigned levels, and per block
//                  summs = fma(m, s, summs) (m the weight block's offset, s the
//                  activation block's d * sum(q) as a half); hsum8(acc) + summs.
//                  (ggml's AVX2 vec_dot_q4_1_q8_1 / q5_1_q8_1; llama.cpp neither
//                  repacks these types nor runs them through llamafile's sgemm.)
//   Q4_0/IQ4_NL/MXFP4 x Q8_0, repacked (llama_repacks() below; q4_0_8x8 / iq4_nl_8x8 / mxfp4_8x8
//                  gemv and gemm, the same order in ggml's AVX2 and AVX-512 code):
//                  per block one exact integer sum over its 32 elements;
//                  acc = fma(float(sum), dw*da, acc), one chain per output.
//   Q4_K x Q8_K:   per super-block one exact int32 sum of scale*q*q8 (isum) and one
//                  of min*bsum (imin); acc = fma(da*dw, isum, acc);
//                  accm = fma(da*dmin, imin, accm); result acc - accm.
//                  (ggml's repacked q4_K_8x8 gemv: llama.cpp's decode and the
//                  n % 4 tail tokens; also used where llama.cpp does not repack,
//                  whose vec_dot order differs: ~1e-7 relative.)
//   Q4_K gemm:     the same per 64 elements (sub-blocks 2c, 2c+1) instead of per
//                  super-block: ggml's q4_K_8x8 gemm on groups of 4 tokens (AVX2
//                  and AVX-512 alike). Its activations come from
//                  ggml_quantize_mat_q8_K_4x8, the same values as quantize_row_q8_K
//                  except when a super-block holds both +max and -max (sign of d).
//   Q5_K x Q8_K:   8 int32 lanes per super-block, lane l = sum over the 8 vectors
//                  of 32 elements of scale * (q*q8 over elements 4l..4l+3);
//                  acc[l] = fma(da*dw, lane, acc[l]); summs = fma(-(da*dmin), imin,
//                  summs); result hsum8(acc) + summs. (ggml's AVX2 vec_dot.)
//   Q3_K x Q8_K:   lanes as Q6_K's with signed levels -4..3 and no offset;
//                  acc[l] = fma(da*dw, lane, acc[l]); hsum8(acc). (ggml's AVX2 vec_dot;
//                  llama.cpp does not repack Q3_K on x86.)
//   IQ4_XS x Q8_K: lanes as Q3_K's, levels kIq4nlValues, one scale per 32 elements;
//                  acc[l] = fma(dw*da, lane, acc[l]); hsum8(acc) (ggml's AVX2 vec_dot).
//                  Its IQ panel (llama_iq_panel): acc = fma(float(sum of the lanes),
//                  dw*da, acc), one chain per output.
//   Q2_K x Q8_K:   lanes as Q3_K's with levels 0..3 and the scale nibbles; min_l =
//                  madd of the min nibbles with bsums; acc[l] = fma(-da*dmin, min_l,
//                  acc[l]), then acc[l] = fma(da*dw, lane_l, acc[l]); hsum8(acc)
//                  (ggml's AVX2 vec_dot). Repacked (AVX-512 CPUs): as Q4_K's gemv per
//                  super-block, its gemm per 128 elements (acc - accm; the 4-token
//                  tile also in AVX512-VNNI, dot_q2k_vnni.cpp).
//   Q6_K x Q8_K:   lanes as Q5_K (scale per 16 elements: lanes 0-3 and 4-7 of a
//                  vector differ), each minus 32*(sc*bsum) of groups 2l and 2l+1;
//                  acc[l] = fma(da*dw, lane, acc[l]); hsum8(acc). (ggml's AVX2 vec_dot.)
// hsum8(v) = ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)).
// Explicit fma everywhere a product meets a sum: nothing is left for the compiler
// to contract differently in the two flavours.
//
// ISA-specific code: *_avx2.cpp files are compiled with -mavx2 -mfma -mf16c. They
// define everything in an anonymous namespace and call no inline function shared
// with plain files (an out-of-line copy of it could be picked by the linker for
// plain code and fault on CPUs without AVX2). Their tables are only asked for
// after cpu_features() says the CPU has AVX2, FMA and F16C.
#pragma once
#include <cstddef>
#include <cstdint>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#else
#include <cmath>
#endif

#include "common/ggml_type.h"

namespace tome {
namespace kernels {

// A tile of dot products, weight rows x activation rows (decode: 4 x 1, whose 4
// independent accumulator chains hide FMA latency; prefill: 4 x 4, each weight
// block unpacked once per 4 tokens). For r < n_w and k < n_act:
//   out[k * out_stride + r] = dot(w + r * w_stride, act + k * act_stride)
// each exactly the value a 1 x 1 tile gives. Weight rows: n elements of the weight
// type; activation rows: n elements of its vec_dot_type.
constexpr int kMaxWeightRows = 4;
constexpr int kMaxActRows = 4;  // = llama.cpp's gemm group (matmul.cpp relies on it)
// IQ panel tiles (llama_iq_panel) take up to 8 tokens: the panel's order has no gemm
// groups, and its AVX2 kernel decodes each super-block once for all of them.
constexpr int kMaxPanelActRows = 8;
// Tiles of the repacked 4-bit 32-element types (Q4_0, IQ4_NL, MXFP4) take up to 8 rows:
// their gemv unpacks two rows per vector and sums 8 rows' blocks in three vphaddd, their
// AVX512-VNNI gemm takes 8 rows x 4 tokens (dot_q32_impl.h, dot_q32_gemm_impl.h); every
// other kernel takes at most kMaxWeightRows. tile_rows(): the rows a tile takes.
constexpr int kMaxDecodeRows = 8;
int tile_rows(GgmlType wtype, bool repack);
// Weight rows: row r's block i starts at w + r * w_stride + i * w_block_step, where
// w_block_step 0 means the block's size (rows one after another). Matrices stored
// with their rows interleaved (WeightMatrix::interleave) pass w_stride = one block's
// size and w_block_step = kInterleaveRows blocks.
struct DotTile {
  const uint8_t* w;
  size_t w_stride;
  int n_w;
  const uint8_t* act;
  size_t act_stride;
  int n_act;
  int64_t n;
  float* out;
  size_t out_stride;
  size_t w_block_step = 0;
};

// Rows whose blocks a matrix may store interleaved: groups of kInterleaveRows rows,
// block i of the group's rows side by side, then block i + 1 (llama.cpp's repacked
// buffers interleave the same 8 rows). A one-token product then reads each group as
// one sequential stream, where 8 rows read side by side are 8 short streams (a row of
// 2048 Q4_0 elements is 18 cache lines) that the hardware prefetcher follows late:
// 8-row gemv from DRAM, 2048 columns, 2 threads 14 GB/s row by row, 30 interleaved.
// Only the repacked 4-bit kernels (Q4_0, IQ4_NL, MXFP4: the ones that read 8 rows a
// decode tile) take that layout, so only where llama_repacks() holds.
constexpr int kInterleaveRows = 8;
bool interleaves_rows(GgmlType wtype, int64_t rows);
using DotFn = void (*)(const DotTile& tile);
// f32 row (n elements) -> n elements of an activation type.
using ConvertFn = void (*)(const float* src, void* dst, int64_t n);

// The F32 dot's lanes (above): 16 where llama.cpp loads an AVX-512 build, else 8.
int f32_dot_lanes();
// Of a tail of t elements, those ggml_vec_dot_f32's leftover loop adds as rounded products:
// GCC vectorized that loop as an in-order reduction, whole chunks of 8 (and in the AVX2
// build one chunk of 4 after them) of products rounded before each add; the elements past
// them fused (its scalar epilogue, contracted). Measured against both builds' vec_dot.
inline int64_t f32_tail_unfused(int64_t t, int lanes) { return t / 8 * 8 + (lanes == 8 && t % 8 >= 4 ? 4 : 0); }

// nullptr where the type has no kernel.
DotFn scalar_dot(GgmlType wtype);
ConvertFn scalar_convert(GgmlType act_type);
// AVX2 flavour; nullptr where none (or not an x86-64 build). Call only when
// cpu_features() reports avx2 && fma && f16c.
DotFn avx2_dot(GgmlType wtype);
// The AVX512-VNNI build of a type's kernel when this CPU has it; nullptr otherwise.
DotFn vnni_dot(GgmlType wtype);
// The AVX-VNNI build (VEX vpdpbusd, 16 vector registers) when this CPU has AVX-VNNI;
// nullptr otherwise. select_dot takes it where no AVX512-VNNI build applies.
DotFn avxvnni_dot(GgmlType wtype);
ConvertFn avx2_convert(GgmlType act_type);

// The flavour in force now (simd_enabled()), falling back to scalar.
DotFn select_dot(GgmlType wtype);
ConvertFn select_convert(GgmlType act_type);

// llama.cpp's repacked weights (ggml's CPU "extra buffer", on by default): on a
// CPU where llama.cpp loads an AVX2 or AVX-512 build (haswell, zen4, ...), Q4_0,
// IQ4_NL, MXFP4 (8x8 interleave) and Q4_K (q4_K_8x8) matrices with rows % 8 == 0 are
// repacked, Q2_K ones (q2_K_8x8) on an AVX-512 build only, and mul_mat runs ggml's gemm on each group of 4 tokens (tokens
// 0 .. n - n%4) and gemv on the n % 4 tokens left. True when that happens here;
// it depends on the CPU (cpu_features()), never on the kernel flavour in force.
bool llama_repacks(GgmlType wtype, int64_t rows);
// The kernels in llama.cpp's repacked orders (gemm: for tiles of 4 tokens that
// are one of its gemm groups); nullptr for other types. Flavours as above.
DotFn scalar_dot_repack(GgmlType wtype, bool gemm);
DotFn avx2_dot_repack(GgmlType wtype, bool gemm);
DotFn vnni_dot_repack(GgmlType wtype, bool gemm);
DotFn avxvnni_dot_repack(GgmlType wtype, bool gemm);
DotFn select_dot_repack(GgmlType wtype, bool gemm);

// llama.cpp's "IQ panel" (ggml-cpu/iqp.cpp): on an AVX2 CPU a mul_mat (or one
// expert's part of a mul_mat_id) of IQ4_XS weights with rows % 8 == 0 and 8 tokens
// or more decodes 8 rows at a time and sums each super-block exactly before one
// fma per super-block and output; fewer tokens take ggml's vec_dot. True when that
// happens here (CPU only, as llama_repacks).
bool llama_iq_panel(GgmlType wtype, int64_t rows, int64_t n_tokens);
// The kernel in the panel's order (nullptr for other types), flavour in force.
DotFn select_dot_panel(GgmlType wtype);

// Round to nearest, ties to even: ggml's nearest_int (for |v| < 2^22) and what
// _mm256_cvtps_epi32 does under the default MXCSR. static: see above.
static inline int round_even(float v) {
#if defined(__SSE2__) || defined(_M_X64)
  return _mm_cvtss_si32(_mm_set_ss(v));  // uses MXCSR rounding: nearest-even
#else
  return int(std::lrintf(v));  // current rounding mode: nearest-even by default
#endif
}

}  // namespace kernels
}  // namespace tome
