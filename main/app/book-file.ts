// A book chosen in a native open dialog, read from its path by the core (the
// desktop's main process): the size checked before a byte is read, the read
// asynchronous (a synchronous 64 MiB read froze the window while it ran) and
// bounded, so a file that grows after its size was taken cannot pass the limit.
import * as fs from "node:fs";
import * as path from "node:path";
import { AppError } from "../ipc/errors";
import { LIMITS } from "../ipc/validate";

const MIB = 2 ** 20;
const CHUNK = 4 * MIB;

export async function readBookFile(file: string, limit = LIMITS.maxImportBytes): Promise<{ name: string; bytes: Uint8Array }> {
  const name = path.basename(file);
  const tooLarge = () => new AppError("TOO_LARGE", `it is over the ${limit / MIB} MiB limit.`);
  let fh: fs.promises.FileHandle;
  try {
    // a folder, FIFO or device is refused before open (a FIFO's open waits for a writer)
    if (!(await fs.promises.stat(file)).isFile()) throw new AppError("UNSUPPORTED_FORMAT", `it is not a file.`);
    fh = await fs.promises.open(file, "r");
  } catch (e) {
    throw e instanceof AppError ? e : unreadable(e);
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new AppError("UNSUPPORTED_FORMAT", `it is not a file.`);
    if (stat.size > limit) throw tooLarge();
    // read to its end, whatever the stat said: a file grown since is still refused past the limit
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(CHUNK, limit + 1 - total);
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(chunk, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw tooLarge();
    }
    const bytes = Buffer.concat(chunks, total);
    return { name, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, total) };
  } catch (e) {
    throw e instanceof AppError ? e : unreadable(e);
  } finally {
    await fh.close();
  }
}

function unreadable(e: unknown): AppError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new AppError("NOT_FOUND", `it is no longer there.`);
  if (code === "EACCES" || code === "EPERM") return new AppError("INTERNAL", `it cannot be read: permission denied.`);
  return new AppError("INTERNAL", `it cannot be read: ${(e as Error).message}`);
}
