// tome: the command-line face of the engine host.
//   tome run | tokenize | inspect | make-model | bench SUITE | eval | cache | serve
// Errors end the process with exit code 1 (2 for usage) and one line on stderr.
import { isTomeError } from "../engine";
import { UsageError } from "./args";
import * as runCmd from "./commands/run";
import * as tokenizeCmd from "./commands/tokenize";
import * as inspectCmd from "./commands/inspect";
import * as makeModelCmd from "./commands/make-model";
import * as benchCmd from "./commands/bench";
import * as serveCmd from "./commands/serve";
import * as evalCmd from "./commands/eval";
import * as cacheCmd from "./commands/cache";

const commands: Record<string, { usage: string; main: (argv: string[]) => Promise<number> }> = {
  run: { usage: runCmd.usage, main: runCmd.run },
  tokenize: { usage: tokenizeCmd.usage, main: tokenizeCmd.tokenize },
  inspect: { usage: inspectCmd.usage, main: inspectCmd.inspect },
  "make-model": { usage: makeModelCmd.usage, main: makeModelCmd.makeModel },
  bench: { usage: benchCmd.usage, main: benchCmd.bench },
  eval: { usage: evalCmd.usage, main: evalCmd.evalCommand },
  cache: { usage: cacheCmd.usage, main: cacheCmd.cache },
  serve: { usage: serveCmd.usage, main: serveCmd.serve },
};

function help(): string {
  return ["usage:", ...Object.values(commands).map((c) => "  " + c.usage)].join("\n") + "\n";
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`tome: unknown command '${name}'\n${help()}`);
    return 2;
  }
  try {
    return await cmd.main(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tome ${name}: ${e.message}\nusage: ${cmd.usage}\n`);
      return 2;
    }
    if (isTomeError(e)) {
      process.stderr.write(`tome ${name}: ${e.code}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`tome ${name}: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
