// tome tokenize --model M.gguf --json [--special]
// stdin: a JSON array of strings; stdout: a JSON array of token-id arrays.
// No BOS/EOS added (llama_tokenize with add_special=false); special-token text
// is parsed only with --special. Works on vocab-only GGUFs.
import { loadAddon } from "../../engine";
import { parse, readStdin, requireArg, UsageError } from "../args";
import { namedFileError } from "../errors";
import { checkReadableFile } from "../files";

export const usage = "tome tokenize --model M.gguf --json [--special]   (stdin: JSON array of strings)";

export const flags = `  --model FILE           a GGUF model or vocabulary (required)
  --json                 read a JSON array of strings on stdin, print an array of token-id arrays (required)
  --special              parse special-token text (<s>, <|im_start|>) as special tokens
  -h, --help             this help`;

export async function tokenize(argv: string[]): Promise<number> {
  const { values } = parse(argv, { model: { type: "string" }, json: { type: "boolean" }, special: { type: "boolean" } });
  const modelPath = requireArg(values.model, "model");
  if (values.json !== true) throw new UsageError("tokenize needs --json (stdin: a JSON array of strings)");
  let input: unknown;
  try {
    input = JSON.parse(await readStdin());
  } catch (e) {
    throw new UsageError(`stdin is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(input) || !input.every((s) => typeof s === "string"))
    throw new UsageError("stdin must be a JSON array of strings");
  const tok = openTokenizer(modelPath);
  const out = (input as string[]).map((s) => Array.from(tok.tokenize(s, false, values.special === true)));
  process.stdout.write(JSON.stringify(out) + "\n");
  return 0;
}

function openTokenizer(file: string) {
  checkReadableFile("--model", file);
  try {
    return new (loadAddon().Tokenizer)(file);
  } catch (e) {
    throw namedFileError("--model", file, e);
  }
}
