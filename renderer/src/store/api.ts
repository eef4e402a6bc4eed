// The store's handle on the contract. Set once at startup (or by a test with a fake).
import type { TomeApi } from "../../../main/ipc/contract";

let current: TomeApi | null = null;

export function setApi(api: TomeApi | null) {
  current = api;
}

export function api(): TomeApi {
  if (!current) throw new Error("tome: no transport connected");
  return current;
}

/** A readable message from any thrown value (ContractCallError carries the server's). */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
