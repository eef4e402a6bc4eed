// Internal: the per-type row quantizers behind quantize_row (quantize*.cpp).
// Each takes n f32 values (n a multiple of the block size) and writes n/bs blocks.
#pragma once
#include <cstdint>

namespace tome {
namespace quantizers {

// The *_ref weight quantizers (llama-quantize without an importance matrix).
void q8_0_ref(const float* x, void* dst, int64_t n);   // d = amax/127, q = roundf(x/d)
void q4_0_ref(const float* x, void* dst, int64_t n);
void q5_0_ref(const float* x, void* dst, int64_t n);
void q4_1_ref(const float* x, void* dst, int64_t n);
void q5_1_ref(const float* x, void* dst, int64_t n);
void q2_K_ref(const float* x, void* dst, int64_t n);
void q4_K_ref(const float* x, void* dst, int64_t n);
void q5_K_ref(const float* x, void* dst, int64_t n);
void q6_K_ref(const float* x, void* dst, int64_t n);
void q3_K_ref(const float* x, void* dst, int64_t n);
void iq4_nl_ref(const float* x, void* dst, int64_t n);
void iq4_xs_ref(const float* x, void* dst, int64_t n);
void mxfp4_ref(const float* x, void* dst, int64_t n);
// The IQ4_NL level index the quantizers give v (by thresholds), and ggml's own search
// for it (tests hold the two equal).
int iq4nl_nearest_level(float v);
int iq4nl_nearest_level_by_search(float v);

// Activation quantizers, bit-exact with ggml's CPU backend on x86 (scalar flavour;
// the AVX2 flavour in convert_avx2.cpp produces the same bytes).
void q8_0_act(const float* x, void* dst, int64_t n);
void q8_1_act(const float* x, void* dst, int64_t n);
void q8_K_act(const float* x, void* dst, int64_t n);
void f16_row(const float* x, void* dst, int64_t n);
void bf16_row(const float* x, void* dst, int64_t n);

}  // namespace quantizers
}  // namespace tome
