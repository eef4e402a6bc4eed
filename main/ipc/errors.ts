// Errors that cross the contract: a stable code from ErrorCode plus a message
// meant for the person using the app. Anything else thrown is reported as INTERNAL.
import type { ContractError, ErrorCode } from "./contract";
import { ValidationError } from "./schema";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function toContractError(e: unknown): ContractError {
  if (e instanceof AppError) return { code: e.code, message: e.message };
  if (e instanceof ValidationError) return { code: "BAD_REQUEST", message: e.message };
  const msg = e instanceof Error ? e.message : String(e);
  return storageError(e, msg) ?? { code: "INTERNAL", message: msg || "internal error" };
}

/**
 * SQLite's and the system's storage failures (a full disk while a book is imported or an answer
 * saved, a folder made read-only) in words a person can act on; they were INTERNAL with
 * SQLite's terse message. Nothing is half-written: each library write is one transaction.
 */
function storageError(e: unknown, msg: string): ContractError | null {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string") return null;
  const is = (c: string) => code === c || code.startsWith(`${c}_`); // SQLite's extended codes
  if (is("SQLITE_FULL") || code === "ENOSPC")
    return { code: "DISK_FULL", message: `The disk is full, so tome could not save this (${msg}). Free some space and try again.` };
  if (is("SQLITE_READONLY") || code === "EROFS")
    return { code: "STORAGE_ERROR", message: `tome's data folder cannot be written (${msg}): check that it is not read-only.` };
  if (is("SQLITE_IOERR") || is("SQLITE_CORRUPT") || is("SQLITE_NOTADB") || code === "EIO")
    return { code: "STORAGE_ERROR", message: `tome's library could not be read or written (${msg}). If this goes on, restart tome.` };
  return null;
}
