// llama.cpp, through node-llama-cpp 3.21.1 (a devDependency with prebuilt
// binaries), used as the exact oracle in tests and the baseline in benchmarks.
// Loaded lazily with a real dynamic import: node-llama-cpp is ESM-only.

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface LlamaOracle {
  loadModel(path: string, vocabOnly?: boolean): Promise<OracleModel>;
  dispose(): Promise<void>;
}

export interface OracleModel {
  tokenize(text: string, parseSpecial: boolean): number[];
  /** A context sequence of contextSize tokens on `threads` threads. */
  createSequence(contextSize: number, threads: number): Promise<OracleSequence>;
  dispose(): Promise<void>;
}

export interface OracleSequence {
  /** Prefill without sampling. */
  prefill(tokens: number[]): Promise<void>;
  /** Greedy continuation of `prompt` for n tokens (stops early at end of generation). */
  greedy(prompt: number[], n: number): Promise<number[]>;
  /**
   * Teacher-forced: feeds `tokens`; for each position returns log-probabilities
   * (natural log) of the next token at temperature 1, as a Map id -> logp,
   * only for tokens whose probability is a normal float (>= 2^-126). See LogProbsScope
   * for which tokens.
   */
  logProbs(tokens: number[], scope?: LogProbsScope): Promise<Map<number, number>[]>;
  /** logProbs with the tokens fed one at a time: llama.cpp's decode path for every position. */
  logProbsOneByOne(tokens: number[], scope?: LogProbsScope): Promise<Map<number, number>[]>;
  /**
   * logProbs of the last position only (its whole vocabulary), the prompt fed in one
   * batch: as an app reads a prompt, llama.cpp then runs the last layer's FFN and the
   * output on that row alone.
   */
  logProbsLast(tokens: number[]): Promise<Map<number, number>>;
  dispose(): Promise<void>;
}

/**
 * Which tokens' log-probabilities a position returns: the whole vocabulary (the default), or
 * the `top` likeliest tokens, renormalized over them (compare log-probabilities relative to one
 * of them), except at the positions in `wholeAt`. node-llama-cpp hands each position's
 * probabilities over as a JS array and a Map: ~17 ms a position for 32000 tokens, ~3 for 4096.
 */
export interface LogProbsScope {
  top?: number;
  wholeAt?: number[];
}

export async function openLlamaOracle(): Promise<LlamaOracle> {
  // a real dynamic import (module node16 keeps it): node-llama-cpp is ESM-only
  const { getLlama } = (await import("node-llama-cpp")) as any;
  const llama = await getLlama({ gpu: false, build: "never", logLevel: "error", progressLogs: false });
  return {
    async loadModel(path: string, vocabOnly = false): Promise<OracleModel> {
      const model = await llama.loadModel({ modelPath: path, vocabOnly, gpuLayers: 0 });
      return {
        tokenize: (text, parseSpecial) => Array.from(model.tokenize(text, parseSpecial) as number[]),
        async createSequence(contextSize, threads) {
          const ctx = await model.createContext({ contextSize, threads, batchSize: 512, flashAttention: false });
          const seq = ctx.getSequence();
          return {
            async prefill(tokens) {
              await seq.evaluateWithoutGeneratingNewTokens(tokens);
            },
            async greedy(prompt, n) {
              const out: number[] = [];
              if (n <= 0) return out;
              for await (const t of seq.evaluate(prompt, { temperature: 0 })) {
                if (model.isEogToken(t)) break;
                out.push(t);
                if (out.length >= n) break;
              }
              return out;
            },
            async logProbs(tokens, scope = {}) {
              return logProbsOf(await seq.controlledEvaluate(tokens.map((t, i) => withProbabilities(t, topAt(scope, i))) as any));
            },
            async logProbsOneByOne(tokens, scope = {}) {
              const out: Map<number, number>[] = [];
              for (let i = 0; i < tokens.length; i++)
                out.push(...logProbsOf(await seq.controlledEvaluate([withProbabilities(tokens[i], topAt(scope, i))] as any)));
              return out;
            },
            async logProbsLast(tokens) {
              const last = tokens.length - 1;
              const res = await seq.controlledEvaluate(tokens.map((t, i) => (i === last ? withProbabilities(t, 0) : t)) as any);
              return logProbsOf([res[last]])[0];
            },
            async dispose() {
              await ctx.dispose();
            },
          };
        },
        dispose: () => model.dispose(),
      };
    },
    // llama.dispose() can wait forever on its worker threads; the process exits anyway
    dispose: () => Promise.race([llama.dispose(), new Promise<void>((r) => setTimeout(r, 3000).unref())]),
  };
}

// temperature 1 and no truncation but top-k (0 = every token): probabilities = softmax(logits)
// over the kept tokens
const withProbabilities = (t: number, topK: number) => [
  t,
  { generateNext: { probabilities: true, options: { temperature: 1, topK, topP: 1, minP: 0 } } },
];
const topAt = (scope: LogProbsScope, position: number) => (scope.wholeAt?.includes(position) ? 0 : (scope.top ?? 0));

// node-llama-cpp hands probabilities back as float32: below FLT_MIN (2^-126, a
// log-probability of -87.3) they are subnormal, with fewer significant bits the
// smaller they are, and their logs are off by up to ln 2 (a 30-layer model's
// logits span hundreds). Only normal floats are kept.
const FLT_MIN = 1.1754943508222875e-38;

function logProbsOf(res: any[]): Map<number, number>[] {
  return res.map((r: any) => {
    const m = new Map<number, number>();
    for (const [id, p] of r?.next?.probabilities ?? []) if (p >= FLT_MIN) m.set(id, Math.log(p));
    return m;
  });
}
