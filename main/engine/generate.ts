// Token generation: prompt -> prefill -> sample/eval loop, streaming text that
// never splits a UTF-8 character (TextDecoder in stream mode holds partial bytes).
import { loadAddon, type NativeModel, type NativeSession, type SamplerOptions } from "./native";

export interface GenerateOptions {
  maxTokens: number;
  sampler: SamplerOptions;
  /** Called with each newly completed piece of text. */
  onText?: (text: string, token: number) => void;
  /** Stop early (e.g. the user pressed stop). */
  signal?: AbortSignal;
  /** Stop at end-of-generation tokens (default true). */
  stopAtEog?: boolean;
  /** Called after every eval (the prompt, then each decode step). */
  onStep?: (index: number) => void;
}

export interface GenerateResult {
  tokens: number[];
  text: string;
  stoppedBy: "eog" | "length" | "abort";
  prefillMs: number;
  decodeMs: number;
}

/** Prompt tokenization as llama.cpp does it: BOS (and EOS) only when the model's metadata asks. */
export function tokenizePrompt(model: Pick<NativeModel, "tokenize">, text: string, parseSpecial = true): number[] {
  return Array.from(model.tokenize(text, true, parseSpecial));
}

export class Utf8Stream {
  private decoder = new TextDecoder("utf-8", { fatal: false });
  push(bytes: Uint8Array): string {
    return this.decoder.decode(bytes, { stream: true });
  }
  flush(): string {
    return this.decoder.decode();
  }
}

export async function generate(
  model: NativeModel,
  session: NativeSession,
  promptTokens: number[],
  opts: GenerateOptions,
): Promise<GenerateResult> {
  const addon = loadAddon();
  const sampler = new addon.Sampler(opts.sampler);
  for (const t of promptTokens) sampler.accept(t);
  const stream = new Utf8Stream();
  const tokens: number[] = [];
  let text = "";
  const t0 = performance.now();
  let logits = await session.eval(Int32Array.from(promptTokens));
  const stepLogits = new Float32Array(logits.length); // every decoded step's logits, one array
  const prefillMs = performance.now() - t0;
  opts.onStep?.(0);
  const t1 = performance.now();
  let stoppedBy: GenerateResult["stoppedBy"] = "length";
  for (let i = 0; i < opts.maxTokens; i++) {
    if (opts.signal?.aborted) {
      stoppedBy = "abort";
      break;
    }
    const token = sampler.sample(logits);
    if (opts.stopAtEog !== false && model.isEog(token)) {
      stoppedBy = "eog";
      break;
    }
    sampler.accept(token);
    tokens.push(token);
    const piece = stream.push(model.tokenToPiece(token, false));
    if (piece) {
      text += piece;
      opts.onText?.(piece, token);
    }
    if (i + 1 < opts.maxTokens) {
      logits = await session.evalInto(Int32Array.of(token), stepLogits);
      opts.onStep?.(i + 1);
    }
  }
  const tail = stream.flush();
  if (tail) {
    text += tail;
    opts.onText?.(tail, -1);
  }
  return { tokens, text, stoppedBy, prefillMs, decodeMs: performance.now() - t1 };
}
