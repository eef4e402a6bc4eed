// The numeric settings' bounds: settings.set refuses values outside them
// (validate.ts) and the settings dialog checks and offers the same ones.
// whole: integers only (the dialog's inputs step by 1, the others by 0.1).
export const SETTINGS_BOUNDS = {
  threads: { min: 0, max: 256, whole: true },
  ctx: { min: 128, max: 1 << 21, whole: true },
  "attention.sinks": { min: 0, max: 4096, whole: true },
  "attention.window": { min: 0, max: 1 << 20, whole: true },
  "attention.topK": { min: 1, max: 1 << 16, whole: true },
  ramBudgetMB: { min: 0, max: 1 << 24, whole: true },
  cacheBudgetGB: { min: 0, max: 1 << 20, whole: false },
  temperature: { min: 0, max: 5, whole: false },
  maxTokens: { min: 1, max: 1 << 16, whole: true },
} as const;

export type NumericSetting = keyof typeof SETTINGS_BOUNDS;
