// How the CLI reports a failure: one line on stderr, exit 1 (2 for usage), and
// under --json also {"error":{"code":"ENOENT","message":"--model 'x': no such file"}}
// on stdout for a script that parses it (the message is the stderr line after
// "tome CMD: "). Node's own file and socket errors ("ENOENT: no such file or
// directory, open ''") are put in words with the path or flag they concern;
// the stack is for TOME_DEBUG only.
import { UsageError } from "./args";
import { isTomeError } from "../engine";

/** The code of a failure nothing more specific names (an unexpected error, a CliError given none). */
export const GENERIC_CODE = "ERROR";

/**
 * A failure whose message is final: printed as it is after "tome CMD: ". Its code is
 * for --json: the system's (ENOENT) or engine's (GGUF_BAD_MAGIC) code it stands for.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = GENERIC_CODE,
  ) {
    super(message);
  }
}

/** An error from a Node system call (fs, net): it carries the call and usually the path. */
export interface SystemError extends Error {
  code: string;
  syscall: string;
  path?: string;
  address?: string;
  port?: number;
}

export function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as SystemError).code === "string" && typeof (e as SystemError).syscall === "string";
}

/** The problem in words: "no such file", "is a directory", ... (libuv's wording for the rarer ones). */
export function problemInWords(e: SystemError, kind: "file" | "directory" = "file"): string {
  switch (e.code) {
    case "ENOENT":
      return `no such ${kind}`;
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EEXIST":
      return "exists and is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOSPC":
      return "no space left on the device";
    case "EROFS":
      return "read-only file system";
    case "EADDRINUSE":
      return "address already in use";
    case "EADDRNOTAVAIL":
      return "no such address on this machine";
    default:
      // "EMFILE: too many open files, open '/x'" -> "too many open files"
      return e.message.replace(/^[A-Z]+: /, "").replace(/, \w+( '.*')?$/, "") || e.code;
  }
}

const VERBS: Record<string, string> = {
  open: "open",
  read: "read",
  stat: "read",
  lstat: "read",
  scandir: "list",
  mkdir: "create",
  write: "write",
  rename: "write",
  unlink: "remove",
  rm: "remove",
  rmdir: "remove",
  listen: "listen on",
  bind: "listen on",
};

/** "cannot read '/x': is a directory": a system error with its path (or address) in words. */
export function describeSystemError(e: SystemError): string {
  const where = e.path ?? (e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ""}` : undefined);
  const verb = VERBS[e.syscall] ?? e.syscall;
  return where === undefined ? `cannot ${verb}: ${problemInWords(e)}` : `cannot ${verb} '${where}': ${problemInWords(e)}`;
}

/** "--doc 'x.txt'", or "'x.txt'" for a path given without a flag. */
export const named = (label: string, file: string) => (label ? `${label} '${file}'` : `'${file}'`);

/**
 * The error of using a file that `label` names (a flag, "cache folder"), as one line
 * naming it and the path: "--doc '': no such file"; a tome error keeps its code.
 * Anything else passes through.
 */
export function namedFileError(label: string, file: string, e: unknown, kind: "file" | "directory" = "file"): unknown {
  const where = named(label, file);
  if (isSystemError(e)) return new CliError(`${where}: ${problemInWords(e, kind)}`, e.code);
  if (isTomeError(e)) return new CliError(`${where}: ${e.code}: ${e.message}`, e.code);
  return e;
}

/** What is printed for an error: its line (with the stack under TOME_DEBUG), its code, the exit code. */
export interface Report {
  line: string;
  /** USAGE, a system code (ENOENT), an engine code (GGUF_BAD_MAGIC) or ERROR. */
  code: string;
  exitCode: number;
  usage: boolean;
}

/** The line printed for an error, its code and the exit code. */
export function report(e: unknown, debug = false): Report {
  if (e instanceof UsageError) return { line: e.message, code: e.code, exitCode: 2, usage: true };
  if (e instanceof CliError) return { line: e.message, code: e.code, exitCode: 1, usage: false };
  if (isSystemError(e)) return { line: describeSystemError(e), code: e.code, exitCode: 1, usage: false };
  if (isTomeError(e)) return { line: `${e.code}: ${e.message}`, code: e.code, exitCode: 1, usage: false };
  const message = e instanceof Error ? e.message || e.name : String(e);
  const stack = debug && e instanceof Error && e.stack ? `\n${e.stack}` : "";
  return { line: oneLine(message) + stack, code: GENERIC_CODE, exitCode: 1, usage: false };
}

/** The error as --json prints it on stdout: {"error":{"code":..,"message":..}}, one line, no stack. */
export function jsonReport(r: Report): string {
  return JSON.stringify({ error: { code: r.code, message: oneLine(r.line) } }) + "\n";
}

/** The first line of a message: the rest is for TOME_DEBUG. */
const oneLine = (s: string) => s.split("\n")[0];
