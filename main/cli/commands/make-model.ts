// tome make-model --arch llama|qwen2 --shape tiny|smol|1b|8b --type f16|q8_0|q4_k|... --vocab VOCAB.gguf --out F.gguf [--seed S]
// Writes a valid GGUF with random weights and the vocabulary of VOCAB.gguf.
import { loadAddon } from "../../engine";
import { intArg, parse, requireArg, UsageError } from "../args";

export const usage =
  "tome make-model --arch llama|qwen2 --shape tiny|smol|1b|8b --type f32|f16|bf16|q8_0|q4_0|q4_k|q5_k|q6_k|iq4_nl --vocab VOCAB.gguf --out F.gguf [--seed S]";

export const flags = `  --arch A               llama or qwen2
  --shape S              tiny, smol, 1b or 8b
  --type T               the weights' type: f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k or iq4_nl
  --vocab FILE           a GGUF whose vocabulary the model takes
  --out FILE             the GGUF to write
  --seed S               seed of the random weights (1)
  -h, --help             this help`;

export const SHAPES = ["tiny", "smol", "1b", "8b"] as const;
export const TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q5_k", "q6_k", "iq4_nl"] as const;

export async function makeModel(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    arch: { type: "string" },
    shape: { type: "string" },
    type: { type: "string" },
    vocab: { type: "string" },
    out: { type: "string" },
    seed: { type: "string" },
  });
  const arch = requireArg(values.arch, "arch");
  if (arch !== "llama" && arch !== "qwen2") throw new UsageError(`--arch must be llama or qwen2, got '${arch}'`);
  const shape = requireArg(values.shape, "shape");
  if (!(SHAPES as readonly string[]).includes(shape)) throw new UsageError(`--shape must be one of ${SHAPES.join(", ")}`);
  const type = requireArg(values.type, "type").toLowerCase();
  if (!(TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${TYPES.join(", ")}`);
  await loadAddon().writeSyntheticModel({
    arch,
    shape,
    type,
    vocab: requireArg(values.vocab, "vocab"),
    out: requireArg(values.out, "out"),
    seed: intArg(values.seed, "seed", 1),
  });
  process.stderr.write(`tome: wrote ${values.out}\n`);
  return 0;
}
