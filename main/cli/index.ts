// tome: the command-line face of the engine host.
//   tome run | tokenize | inspect | make-model | bench SUITE | eval | cache | serve
// Errors end the process with exit code 1 (2 for usage) and one line on stderr; a command
// that takes --json, run with it, also prints {"error":{"code":..,"message":..}} on stdout.
// `tome CMD --help` prints that command's usage and flags to stdout.
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../engine";
import { jsonReport, report } from "./errors";
import { endQuietlyWhenStdoutCloses } from "./stdio";
import * as runCmd from "./commands/run";
import * as tokenizeCmd from "./commands/tokenize";
import * as inspectCmd from "./commands/inspect";
import * as makeModelCmd from "./commands/make-model";
import * as benchCmd from "./commands/bench";
import * as serveCmd from "./commands/serve";
import * as evalCmd from "./commands/eval";
import * as cacheCmd from "./commands/cache";

interface Command {
  usage: string;
  /** One line per flag, shown by --help under the usage. */
  flags: string;
  main: (argv: string[]) => Promise<number>;
}

const commands: Record<string, Command> = {
  run: { usage: runCmd.usage, flags: runCmd.flags, main: runCmd.run },
  tokenize: { usage: tokenizeCmd.usage, flags: tokenizeCmd.flags, main: tokenizeCmd.tokenize },
  inspect: { usage: inspectCmd.usage, flags: inspectCmd.flags, main: inspectCmd.inspect },
  "make-model": { usage: makeModelCmd.usage, flags: makeModelCmd.flags, main: makeModelCmd.makeModel },
  bench: { usage: benchCmd.usage, flags: benchCmd.flags, main: benchCmd.bench },
  eval: { usage: evalCmd.usage, flags: evalCmd.flags, main: evalCmd.evalCommand },
  cache: { usage: cacheCmd.usage, flags: cacheCmd.flags, main: cacheCmd.cache },
  serve: { usage: serveCmd.usage, flags: serveCmd.flags, main: serveCmd.serve },
};

function overview(): string {
  return (
    ["usage:", ...Object.values(commands).map((c) => "  " + c.usage)].join("\n") +
    "\n\n`tome COMMAND --help` describes a command's flags; `tome --version` prints the version.\n"
  );
}

function commandHelp(cmd: Command): string {
  return `usage: ${cmd.usage}\n\n${cmd.flags.replace(/\n*$/, "\n")}`;
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string };
  return `tome ${pkg.version}\n`;
}

/** One of the flags anywhere before a "--" that ends the flags. */
function given(argv: string[], ...flags: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => flags.includes(a));
}

/** Whether a command takes --json: its help lists every flag it takes. */
const takesJson = (cmd: Command) => /^ +--json\b/m.test(cmd.flags);

export async function main(argv: string[]): Promise<number> {
  endQuietlyWhenStdoutCloses();
  const [name, ...rest] = argv;
  if (!name) {
    process.stderr.write(overview()); // a usage error: the help goes where errors go
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const cmd = commands[rest[0]];
    process.stdout.write(cmd ? commandHelp(cmd) : overview());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(version());
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`tome: unknown command '${name}'\n${overview()}`);
    return 2;
  }
  if (given(rest, "--help", "-h")) {
    process.stdout.write(commandHelp(cmd));
    return 0;
  }
  try {
    return await cmd.main(rest);
  } catch (e) {
    const r = report(e, !!process.env.TOME_DEBUG);
    // one line; a usage error points to the help rather than printing it (run's synopsis is five lines)
    process.stderr.write(`tome ${name}: ${r.line}\n${r.usage ? `Try 'tome ${name} --help' for the flags.\n` : ""}`);
    // a script reading --json's stdout gets the failure there too (even when the flags did not parse)
    if (takesJson(cmd) && given(rest, "--json")) process.stdout.write(jsonReport(r));
    return r.exitCode;
  }
}
