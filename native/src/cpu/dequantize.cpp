// dequantize_row: every supported type -> f32, with ggml's expressions (same
// operand order, no fusion), so the values equal ggml's dequantize_row_* bit for bit.
#include <cstring>

#include "common/error.h"
#include "common/fp16.h"
#include "cpu/quant.h"
#include "cpu/quant_blocks.h"

namespace tome {

namespace {

void dequant_q8_0(const BlockQ8_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK32) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK32; ++j) y[j] = float(x[i].qs[j]) * d;
  }
}

// Q4_0: byte j holds element j (low nibble) and element j+16 (high nibble), offset 8.
void dequant_q4_0(const BlockQ4_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK32) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK32 / 2; ++j) {
      y[j] = float((x[i].qs[j] & 0x0F) - 8) * d;
      y[j + 16] = float((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequant_iq4_nl(const BlockIQ4_NL* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK32) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK32 / 2; ++j) {
      y[j] = d * float(kIq4nlValues[x[i].qs[j] & 0x0F]);
      y[j + 16] = d * float(kIq4nlValues[x[i].qs[j] >> 4]);
    }
  }
}

// MXFP4: level * (half the block's E8M0 scale), ggml's x0*d.
void dequant_mxfp4(const BlockMXFP4* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK32) {
    const float d = e8m0_half(x[i].e);
    for (int j = 0; j < kQK32 / 2; ++j) {
      y[j] = float(kMxfp4Values[x[i].qs[j] & 0x0F]) * d;
      y[j + 16] = float(kMxfp4Values[x[i].qs[j] >> 4]) * d;
    }
  }
}

void dequant_q5_0(const BlockQ5_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK32) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK32; ++j) y[j] = float(q5_0_level(x[i], j)) * d;
  }
}

// Q4_1 / Q5_1: level * d + m, as two roundings (ggml's x0*d + m, built without FMA).
void dequant_q4_1(const BlockQ4_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK32) {
    const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
    for (int j = 0; j < kQK32 / 2; ++j) {
      y[j] = float(x[i].qs[j] & 0x0F) * d + m;
      y[j + 16] = float(x[i].qs[j] >> 4) * d + m;
    }
  }
}

void dequant_q5_1(const BlockQ5_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK32) {
    const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
    for (int j = 0; j < kQK32; ++j) y[j] = float(q5_unsigned_level(x[i], j)) * d + m;
  }
}

// Q8_1 (activations only): as Q8_0; s is not an element.
void dequant_q8_1(const BlockQ8_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK32) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK32; ++j) y[j] = float(x[i].qs[j]) * d;
  }
}

// IQ4_XS: dl = d * (scale - 32) per 32 elements, value dl * level (ggml's order).
void dequant_iq4_xs(const BlockIQ4_XS* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    for (int s = 0; s < 8; ++s, y += kQK32) {
      const float dl = d * float(iq4_xs_scale(x[i], s));
      const uint8_t* qs = x[i].qs + 16 * s;
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * float(kIq4nlValues[qs[j] & 0x0F]);
        y[j + 16] = dl * float(kIq4nlValues[qs[j] >> 4]);
      }
    }
  }
}

// Q2_K: per 16 elements dl = d * scale, ml = dmin * min; value dl * q - ml (ggml's order).
void dequant_q2_K(const BlockQ2_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
    for (int e = 0; e < kQKK; ++e) {
      const uint8_t sc = x[i].scales[e / 16];
      const float dl = d * float(sc & 0xF), ml = dmin * float(sc >> 4);
      *y++ = dl * float(q2_K_level(x[i], e)) - ml;
    }
  }
}

// Q4_K: 4 chunks of 64 elements; chunk c uses qs[32c..32c+31]: low nibbles are
// sub-block 2c, high nibbles sub-block 2c+1. value = d*sc*q - dmin*m.
void dequant_q4_K(const BlockQ4_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const float dmin = fp16_to_fp32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    for (int c = 0; c < 4; ++c, q += 32) {
      uint8_t sc, m;
      kquant_scale_min(2 * c, x[i].scales, &sc, &m);
      const float d1 = d * float(sc), m1 = dmin * float(m);
      kquant_scale_min(2 * c + 1, x[i].scales, &sc, &m);
      const float d2 = d * float(sc), m2 = dmin * float(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * float(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * float(q[l] >> 4) - m2;
    }
  }
}

// Q5_K: as Q4_K plus a 5th bit: qh[l] bit 2c for element l of sub-block 2c,
// bit 2c+1 for element l of sub-block 2c+1.
void dequant_q5_K(const BlockQ5_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const float dmin = fp16_to_fp32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    const uint8_t* qh = x[i].qh;
    for (int c = 0; c < 4; ++c, q += 32) {
      uint8_t sc, m;
      kquant_scale_min(2 * c, x[i].scales, &sc, &m);
      const float d1 = d * float(sc), m1 = dmin * float(m);
      kquant_scale_min(2 * c + 1, x[i].scales, &sc, &m);
      const float d2 = d * float(sc), m2 = dmin * float(m);
      const uint8_t u1 = uint8_t(1u << (2 * c)), u2 = uint8_t(2u << (2 * c));
      for (int l = 0; l < 32; ++l) *y++ = d1 * float((q[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * float((q[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    }
  }
}

// Q3_K: see BlockQ3_K.
void dequant_q3_K(const BlockQ3_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    for (int c = 0; c < 2; ++c)
      for (int j = 0; j < 4; ++j)
        for (int half = 0; half < 2; ++half) {
          const float dl = d * float(q3_K_scale(x[i].scales, 8 * c + 2 * j + half) - 32);
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            const int low = (x[i].qs[32 * c + l] >> (2 * j)) & 3;
            const int bit = (x[i].hmask[l] >> (4 * c + j)) & 1;
            *y++ = dl * float(low - (bit ? 0 : 4));
          }
        }
  }
}

// Q6_K: 2 halves of 128 elements; in a half, element l + 32k (l < 32, k < 4) has
// low 4 bits from ql[l + 32*(k&1)] (low nibble for k < 2, high for k >= 2) and high
// 2 bits from qh[l] bits 2k..2k+1; offset 32; scale = scales[(l + 32k) / 16].
void dequant_q6_K(const BlockQ6_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    for (int h = 0; h < 2; ++h, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = int((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = int((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = int((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = int((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = d * float(sc[is + 0]) * float(q1);
        y[l + 32] = d * float(sc[is + 2]) * float(q2);
        y[l + 64] = d * float(sc[is + 4]) * float(q3);
        y[l + 96] = d * float(sc[is + 6]) * float(q4);
      }
    }
  }
}

void dequant_q8_K(const BlockQ8_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQKK)
    for (int j = 0; j < kQKK; ++j) y[j] = x[i].d * float(x[i].qs[j]);
}

}  // namespace

void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case GgmlType::F32:
      std::memcpy(dst, src, size_t(n) * sizeof(float));
      return;
    case GgmlType::F16: {
      const uint16_t* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
      return;
    }
    case GgmlType::BF16: {
      const uint16_t* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
      return;
    }
    case GgmlType::Q8_0: return dequant_q8_0(static_cast<const BlockQ8_0*>(src), dst, n / kQK32);
    case GgmlType::Q5_0: return dequant_q5_0(static_cast<const BlockQ5_0*>(src), dst, n / kQK32);
    case GgmlType::Q4_1: return dequant_q4_1(static_cast<const BlockQ4_1*>(src), dst, n / kQK32);
    case GgmlType::Q5_1: return dequant_q5_1(static_cast<const BlockQ5_1*>(src), dst, n / kQK32);
    case GgmlType::Q8_1: return dequant_q8_1(static_cast<const BlockQ8_1*>(src), dst, n / kQK32);
    case GgmlType::Q4_0: return dequant_q4_0(static_cast<const BlockQ4_0*>(src), dst, n / kQK32);
    case GgmlType::IQ4_NL: return dequant_iq4_nl(static_cast<const BlockIQ4_NL*>(src), dst, n / kQK32);
    case GgmlType::MXFP4: return dequant_mxfp4(static_cast<const BlockMXFP4*>(src), dst, n / kQK32);
    case GgmlType::IQ4_XS: return dequant_iq4_xs(static_cast<const BlockIQ4_XS*>(src), dst, n / kQKK);
    case GgmlType::Q2_K: return dequant_q2_K(static_cast<const BlockQ2_K*>(src), dst, n / kQKK);
    case GgmlType::Q3_K: return dequant_q3_K(static_cast<const BlockQ3_K*>(src), dst, n / kQKK);
    case GgmlType::Q4_K: return dequant_q4_K(static_cast<const BlockQ4_K*>(src), dst, n / kQKK);
    case GgmlType::Q5_K: return dequant_q5_K(static_cast<const BlockQ5_K*>(src), dst, n / kQKK);
    case GgmlType::Q6_K: return dequant_q6_K(static_cast<const BlockQ6_K*>(src), dst, n / kQKK);
    case GgmlType::Q8_K: return dequant_q8_K(static_cast<const BlockQ8_K*>(src), dst, n / kQKK);
    default:
      throw Error("UNSUPPORTED_TYPE", std::string("cannot dequantize type ") + ggml_type_name(uint32_t(type)));
  }
}

}  // namespace tome
