// Command-line argument parsing shared by the subcommands: a thin, typed layer
// over node:util parseArgs that turns bad values into one-line UsageErrors.
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  code = "USAGE";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A flag as it is typed: -n for one letter, --top-k otherwise. */
export const flagName = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

export function parse<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true as const });
  } catch (e) {
    throw new UsageError(parseArgsMessage(e as Error & { code?: string }));
  }
}

/** node:util's parse errors (some of them three lines) as one line naming the flag. */
function parseArgsMessage(e: Error & { code?: string }): string {
  const quoted = /'([^' ]+)/.exec(e.message)?.[1] ?? "";
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag '${quoted}'`;
  if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `unexpected argument '${quoted}'`;
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (/ambiguous/.test(e.message)) return `${quoted} needs a value (one that starts with '-' is written ${quoted}=-1)`;
    if (/missing/.test(e.message)) return `${quoted} needs a value`;
    if (/does not take/.test(e.message)) return `${quoted} takes no value`;
  }
  return e.message.split("\n")[0];
}

export function intArg(v: string | undefined, name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`${flagName(name)} must be an integer, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${flagName(name)} must be in [${min}, ${max}], got '${v}'`);
  return n;
}

/** intArg without a default: undefined when the flag is absent. */
export function optionalIntArg(v: string | undefined, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return v === undefined ? undefined : intArg(v, name, 0, min, max);
}

/** A finite number in [min, max] ((min, max] with minExclusive). */
export function floatArg(
  v: string | undefined,
  name: string,
  dflt: number,
  min = -Infinity,
  max = Infinity,
  minExclusive = false,
): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flagName(name)} must be a number, got '${v}'`);
  if (n > max || (minExclusive ? n <= min : n < min))
    throw new UsageError(`${flagName(name)} must be in ${minExclusive ? "(" : "["}${min}, ${max}], got '${v}'`);
  return n;
}

export function requireArg(v: string | undefined, name: string): string {
  if (v === undefined || v === "") throw new UsageError(`${flagName(name)} is required`);
  return v;
}

/** Reads all of stdin as UTF-8. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
