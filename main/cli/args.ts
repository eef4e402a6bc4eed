// Command-line argument parsing shared by the subcommands: a thin, typed layer
// over node:util parseArgs that turns bad values into one-line UsageErrors.
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  code = "USAGE";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true as const });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function intArg(v: string | undefined, name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be an integer, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be in [${min}, ${max}], got ${n}`);
  return n;
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
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${v}'`);
  if (n > max || (minExclusive ? n <= min : n < min))
    throw new UsageError(`--${name} must be in ${minExclusive ? "(" : "["}${min}, ${max}], got '${v}'`);
  return n;
}

export function requireArg(v: string | undefined, name: string): string {
  if (v === undefined || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

/** Reads all of stdin as UTF-8. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
