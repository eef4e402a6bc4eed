// The engine's bounds on a session's options (native/src/addon/session_wrap.cpp),
// checked by the CLI first, so that a bad value is refused under its flag's name
// (exit 2) before a model loads, not as "option 'topK' ..." after.
import { MAX_SESSION_CTX } from "../engine/memory";

export const MAX_CTX = MAX_SESSION_CTX; // kMaxCtx: positions a session may hold
export const MAX_SINKS = 1 << 20;
export const MAX_WINDOW = 1 << 20;
export const MAX_TOP_K = 1 << 24;
export const MAX_EF = 1 << 24;
export const MIN_DEGREE = 2;
export const MAX_DEGREE = 1024;
export const MAX_MONITOR_EVERY = 1 << 20;
export const MAX_MONITOR_HEADS = 1 << 16;
export const MAX_KEY_COUNT = 1e12; // exactBelow, fullBelow
export const MAX_THREADS = 256;
export const MAX_BATCH = 1 << 16;
/** The engine takes up to 9e18 bytes; 2^60 (1 EiB) is as far past any machine and reads better. */
export const MAX_RAM_BUDGET = 2 ** 60;
