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
  return { code: "INTERNAL", message: msg || "internal error" };
}
