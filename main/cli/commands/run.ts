// tome run --model M.gguf --prompt TEXT [-n 64] [--temp 0] [--seed S] [--threads N] [--ctx N] [--json]
// Streams the continuation to stdout; with --json prints one object
// {"prompt_tokens":[...],"tokens":[...],"text":"..."} instead.
import { generate, loadAddon, tokenizePrompt } from "../../engine";
import { floatArg, intArg, parse, requireArg, UsageError } from "../args";

export const usage = `tome run --model M.gguf --prompt TEXT [-n 64] [--temp 0] [--seed S] [--top-k 40] [--top-p 0.95]
         [--min-p 0.05] [--repeat-penalty 1] [--threads N] [--ctx N] [--json]`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    model: { type: "string" },
    prompt: { type: "string" },
    n: { type: "string", short: "n" },
    temp: { type: "string" },
    seed: { type: "string" },
    "top-k": { type: "string" },
    "top-p": { type: "string" },
    "min-p": { type: "string" },
    "repeat-penalty": { type: "string" },
    threads: { type: "string" },
    ctx: { type: "string" },
    json: { type: "boolean" },
  });
  const modelPath = requireArg(values.model, "model");
  const prompt = values.prompt;
  if (prompt === undefined) throw new UsageError("--prompt is required");
  const nPredict = intArg(values.n, "n", 64, 0, 1 << 24);
  const addon = loadAddon();
  const model = new addon.Model(modelPath);
  const info = model.info();
  const promptTokens = tokenizePrompt(model, prompt);
  const ctx = intArg(values.ctx, "ctx", Math.min(info.nCtxTrain, Math.max(512, promptTokens.length + nPredict)), 1);
  if (promptTokens.length + nPredict > ctx)
    throw new UsageError(`prompt (${promptTokens.length} tokens) + -n ${nPredict} exceed --ctx ${ctx}`);
  const session = new addon.Session(model, { ctx, threads: intArg(values.threads, "threads", 0, 0, 256) });
  const json = values.json === true;
  const result = await generate(model, session, promptTokens, {
    maxTokens: nPredict,
    sampler: {
      temperature: floatArg(values.temp, "temp", 0.8),
      seed: intArg(values.seed, "seed", Math.floor(Math.random() * 2 ** 31)),
      topK: intArg(values["top-k"], "top-k", 40, 0),
      topP: floatArg(values["top-p"], "top-p", 0.95),
      minP: floatArg(values["min-p"], "min-p", 0.05),
      repeatPenalty: floatArg(values["repeat-penalty"], "repeat-penalty", 1),
    },
    onText: json ? undefined : (t) => process.stdout.write(t),
  });
  if (json) {
    process.stdout.write(JSON.stringify({ prompt_tokens: promptTokens, tokens: result.tokens, text: result.text }) + "\n");
  } else {
    process.stdout.write("\n");
    const tps = result.tokens.length / (result.decodeMs / 1000);
    process.stderr.write(
      `tome: ${promptTokens.length} prompt tokens in ${result.prefillMs.toFixed(0)} ms, ` +
        `${result.tokens.length} tokens at ${Number.isFinite(tps) ? tps.toFixed(1) : "-"} tok/s (${result.stoppedBy})\n`,
    );
  }
  return 0;
}
