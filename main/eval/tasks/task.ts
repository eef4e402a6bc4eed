// What a task generator is: given a seeded draw, a depth and the model's token
// counter, it fixes the instance's question and answers and returns a builder
// for its context at any size; ../instance.ts sizes that context to the target.
import type { HaystackSource } from "../haystack";
import type { Rng } from "../rng";
import type { TaskName } from "../types";

/** The model's tokenizer over a content segment (no BOS, no special tokens). */
export interface TokenCounter {
  count(text: string): number;
  /** Char (UTF-16) start of each token of `text`. */
  starts(text: string): Int32Array;
}

export interface DraftInput {
  rng: Rng;
  /** Percent 0..100, or null for tasks without a depth. */
  depth: number | null;
  haystack: HaystackSource;
  tokens: TokenCounter;
  /** Tokens the context should have (the target length less the template's). */
  contextTokens: number;
  /** Filler characters per context token to prepare (doubled when a tokenizer needs more). */
  charsPerToken: number;
}

export interface BuiltContext {
  text: string;
  /** Character span [start, end) of every needle; `answer` marks those holding answers. */
  needles: { start: number; end: number; answer: boolean }[];
}

export interface Draft {
  preamble: string;
  question: string;
  answerPrefix: string;
  answers: string[];
  /** The context at size n (haystack characters or list entries) and where its needles are. */
  build(n: number): BuiltContext;
  maxSize: number;
  /** Why the context at size n does not determine the answers (the expected words tie with
   *  others in a short word list), or null when it does; absent: always determined. */
  unanswerable?(n: number): string | null;
}

export interface TaskGenerator {
  name: TaskName;
  /** Whether the task has a needle depth (word-list tasks do not). */
  hasDepth: boolean;
  /** Greedy answer budget, as RULER sets tokens_to_generate (smaller: answers here are short). */
  maxNewTokens: number;
  /** Which haystack the task reads: the one asked for, or noise by the task's definition. */
  haystack: "any" | "noise";
  draft(input: DraftInput): Draft;
}
