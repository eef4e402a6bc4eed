// A GGUF's weights in words: llama.cpp's general.file_type (its quantizer's llama_ftype:
// 15 is Q4_K_M) by name, and the tensors' types counted.

const FILE_TYPES: Record<number, string> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
  11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M",
  18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
  25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M",
  32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
};

/** "Q4_K_M" for a general.file_type of 15; null for anything else than a known number. */
export function fileTypeName(v: unknown): string | null {
  return typeof v === "number" && Number.isInteger(v) ? (FILE_TYPES[v] ?? null) : null;
}

/** The tensors' types, most tensors first: "96 x Q4_K, 34 x F32, 17 x Q6_K". */
export function tensorTypeCounts(tensors: readonly { type: string }[]): string {
  const counts = new Map<string, number>();
  for (const t of tensors) counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([t, n]) => `${n} x ${t}`)
    .join(", ");
}
