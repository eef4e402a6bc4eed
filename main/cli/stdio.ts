// The CLI's standard streams when the other end goes away.
import { isSystemError, problemInWords } from "./errors";

let installed = false;

/**
 * A reader that stops early (`tome run ... | head -c 20`) closes the pipe and the
 * next write fails with EPIPE. tome then stops at once, quietly, with exit code 0
 * rather than a shell's 141 (SIGPIPE): the reader chose to stop, which is no
 * failure of tome, and a script under `set -o pipefail` would otherwise fail on
 * `tome run | head`. Any other failure to write stdout (a full disk) is one line
 * on stderr and exit 1. Errors writing stderr are dropped: nowhere is left to
 * report them.
 */
export function endQuietlyWhenStdoutCloses(): void {
  if (installed) return;
  installed = true;
  process.stdout.on("error", (e: Error) => {
    if (isSystemError(e) && e.code === "EPIPE") process.exit(0);
    process.stderr.write(`tome: cannot write to stdout: ${isSystemError(e) ? problemInWords(e) : e.message}\n`);
    process.exit(1);
  });
  process.stderr.on("error", () => {});
}
