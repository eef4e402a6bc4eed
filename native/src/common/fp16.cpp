// IEEE binary16 <-> binary32, branch-light and exact (the classic bit-manipulation
// method also used by ggml's scalar path). Non-NaN results are identical to the
// F16C instructions (vcvtph2ps / vcvtps2ph with round-to-nearest-even).
// NaN: a half NaN becomes a float NaN with the same payload bits; a float NaN
// becomes the canonical half quiet NaN 0x7e00 (F16C would keep some payload bits;
// no tensor data or activation of a sane model is NaN, so this is never compared).
#include "common/fp16.h"

#include <cmath>

namespace tome {

float fp16_to_fp32(uint16_t h) {
  // Put the half in the top 16 bits; shift the sign out (two_w) so exponent and
  // mantissa sit at the top of a 32-bit word.
  const uint32_t w = uint32_t(h) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t two_w = w + w;

  // Normal (and inf/NaN) halves: move exponent+mantissa into float position and
  // rebias by multiplying with 2^-112 (an exponent offset of 0xE0 pre-biases so
  // that inf/NaN stay inf/NaN: 0x1F + 0xE0 = 0xFF).
  const uint32_t exp_offset = 0xE0u << 23;
  const float normalized = fp32_from_bits((two_w >> 4) + exp_offset) * 0x1.0p-112f;

  // Subnormal halves (value m * 2^-24 for mantissa m): OR-ing m into the mantissa
  // of 0.5f gives exactly 0.5 + m * 2^-24; subtracting 0.5 is exact.
  const uint32_t magic_mask = 126u << 23;  // 0.5f
  const float denormalized = fp32_from_bits((two_w >> 17) | magic_mask) - 0.5f;

  const uint32_t denorm_cutoff = 1u << 27;  // two_w below this: exponent field 0
  const uint32_t result =
      sign | (two_w < denorm_cutoff ? fp32_to_bits(denormalized) : fp32_to_bits(normalized));
  return fp32_from_bits(result);
}

uint16_t fp32_to_fp16(float f) {
  // Scale so the float's rounding at the half's precision happens in one add:
  // multiply by 2^112 then 2^-110 (overflows to inf when |f| is too large for a half).
  float base = (std::fabs(f) * 0x1.0p+112f) * 0x1.0p-110f;

  const uint32_t w = fp32_to_bits(f);
  const uint32_t shl1_w = w + w;
  const uint32_t sign = w & 0x80000000u;
  uint32_t bias = shl1_w & 0xFF000000u;  // the exponent, shifted to the top
  if (bias < 0x71000000u) bias = 0x71000000u;  // halves' subnormal range

  // Adding 2^(e+?) aligns the mantissa so the FPU rounds to nearest even at the
  // half's last mantissa bit; the result's low bits are the half's fields.
  base = fp32_from_bits((bias >> 1) + 0x07800000u) + base;
  const uint32_t bits = fp32_to_bits(base);
  const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
  const uint32_t mantissa_bits = bits & 0x00000FFFu;
  const uint32_t nonsign = exp_bits + mantissa_bits;
  return uint16_t((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

}  // namespace tome
