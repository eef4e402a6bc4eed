// Validation of every incoming request, one schema per contract method. The
// `satisfies` clause makes the compiler check that each schema produces exactly
// that method's Params, so the contract and its validation cannot drift apart.
import type { Method, Params, RequestMessage } from "./contract";
import { arr, bool, empty, int, num, obj, oneOf, str, ValidationError, type Schema } from "./schema";
import { EVAL_MODES, TASKS } from "../eval/types";
import { SETTINGS_BOUNDS, type NumericSetting } from "./settings-bounds";

/** Upper bounds that keep one message from exhausting memory. */
export const LIMITS = {
  /** Largest book accepted by library.import (raw bytes; base64 is 4/3 of it). */
  maxImportBytes: 64 * 1024 * 1024,
  maxTextChars: 100_000, // a chat message or a system prompt
  maxFindChars: 500, // a phrase to find in a book
  maxPassageChars: 4000, // a passage of the book a question quotes
  maxFindMatches: 1000, // matches one library.find returns
  maxPathChars: 4096,
  maxNameChars: 255,
  maxTitleChars: 200, // a conversation's title
  /** Largest WebSocket / IPC message: an import at the byte limit in base64, plus slack. */
  maxMessageBytes: Math.ceil((64 * 1024 * 1024 * 4) / 3) + 64 * 1024,
};

const id = int({ min: 1, max: Number.MAX_SAFE_INTEGER });
const text = str({ max: LIMITS.maxTextChars });
const jobId = str({ min: 1, max: 64, pattern: /^[\w-]+$/, patternText: "must be a job id" });
const path = str({ min: 1, max: LIMITS.maxPathChars, pattern: /^[^\0]*$/, patternText: "must not contain NUL" });

/** A file's base name: no folders, no "..", no control characters, not hidden. */
export const fileName = str({
  min: 1,
  max: LIMITS.maxNameChars,
  // eslint-disable-next-line no-control-regex
  pattern: /^(?!\.)(?!.*\.\.)[^/\\\x00-\x1f:*?"<>|]+$/,
  patternText: "must be a plain file name (no folders, '..', control or reserved characters)",
});

const base64 = str({
  min: 0,
  max: Math.ceil(LIMITS.maxImportBytes / 3) * 4,
  pattern: /^[A-Za-z0-9+/]*={0,2}$/,
  patternText: "must be base64",
});

/** library.cancel names the read by its job or by its book (a page loaded mid-read knows only the book). */
const readToCancel: Schema<{ jobId: string } | { documentId: number }> = (v, at) =>
  typeof v === "object" && v !== null && "documentId" in v ? obj({ documentId: id })(v, at) : obj({ jobId })(v, at);

/** A numeric setting's schema from its bounds (settings-bounds.ts, shared with the dialog). */
function bounded(k: NumericSetting): Schema<number> {
  const { min, max, whole } = SETTINGS_BOUNDS[k];
  return whole ? int({ min, max }) : num({ min, max });
}

const settingsPatch = obj(
  {},
  {
    threads: bounded("threads"),
    ctx: bounded("ctx"),
    attention: obj({
      mode: oneOf(["full", "retrieval"] as const),
      sinks: bounded("attention.sinks"),
      window: bounded("attention.window"),
      topK: bounded("attention.topK"),
    }),
    ramBudgetMB: bounded("ramBudgetMB"),
    cacheBudgetGB: bounded("cacheBudgetGB"),
    gpu: bool,
    modelsDir: path,
    systemPrompt: text,
    temperature: bounded("temperature"),
    maxTokens: bounded("maxTokens"),
    skipBoilerplate: bool,
  },
);

export const requestSchemas = {
  "app.info": empty,
  "settings.get": empty,
  "settings.set": settingsPatch,
  "models.list": empty,
  "models.inspect": obj({ path }),
  "models.load": obj({ path }),
  "models.openDialog": empty,
  "engine.status": empty,
  "stats.memory": empty,
  "stats.tokens": empty,
  "library.list": empty,
  "library.import": obj({ name: fileName, dataBase64: base64 }, { importId: jobId }),
  "library.cancelImport": obj({ importId: jobId }),
  "library.openDialog": empty,
  "library.remove": obj({ documentId: id }),
  "library.text": obj({ documentId: id }, { start: int({ min: 0, max: 1 << 30 }), end: int({ min: 0, max: 1 << 30 }) }),
  "library.find": obj({ documentId: id, query: str({ min: 1, max: LIMITS.maxFindChars }) }, { limit: int({ min: 1, max: LIMITS.maxFindMatches }) }),
  "library.findAll": obj({ query: str({ min: 1, max: LIMITS.maxFindChars }) }),
  "library.read": obj({ documentId: id }, { fresh: bool }),
  "library.cancel": readToCancel,
  "chat.list": obj({ documentId: id }),
  "chat.create": obj({ documentId: id }, { systemPrompt: text }),
  "chat.messages": obj({ conversationId: id }),
  "chat.setSystemPrompt": obj({ conversationId: id, systemPrompt: text }),
  "chat.rename": obj({ conversationId: id, title: str({ min: 1, max: LIMITS.maxTitleChars }) }),
  "chat.send": obj(
    { conversationId: id, text: str({ min: 1, max: LIMITS.maxTextChars }) },
    { passage: obj({ start: int({ min: 0, max: 1 << 30 }), end: int({ min: 1, max: 1 << 30 }) }), replaceLast: bool },
  ),
  "chat.regenerate": obj({ conversationId: id }),
  "chat.stop": obj({ conversationId: id }),
  "chat.remove": obj({ conversationId: id }),
  "eval.run": obj(
    {
      tasks: arr(oneOf(TASKS), { max: TASKS.length }),
      lengths: arr(int({ min: 64, max: 1 << 21 }), { max: 8 }),
      depths: arr(num({ min: 0, max: 100 }), { max: 11 }),
      modes: arr(oneOf(EVAL_MODES), { max: EVAL_MODES.length }),
      samples: int({ min: 1, max: 20 }),
    },
    {
      sinks: int({ min: 0, max: 4096 }),
      window: int({ min: 1, max: 1 << 20 }),
      topK: int({ min: 1, max: 1 << 16 }),
      seed: int({ min: 0, max: 2 ** 32 }),
      beyondTrained: bool,
    },
  ),
  "eval.cancel": obj({ jobId }),
} satisfies { [M in Method]: Schema<Params<M>> };

export const METHOD_NAMES = Object.keys(requestSchemas) as Method[];

export function isMethod(m: unknown): m is Method {
  return typeof m === "string" && Object.prototype.hasOwnProperty.call(requestSchemas, m);
}

/** Validates params for a known method. Throws ValidationError with a clear message. */
export function validateParams<M extends Method>(method: M, params: unknown): Params<M> {
  const schema = requestSchemas[method] as Schema<Params<M>>;
  return schema(params, "params");
}

/** Validates a whole wire request (WebSocket transport): { id, method, params }. */
export function validateRequest(msg: unknown): RequestMessage {
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) throw new ValidationError("message: expected an object");
  const m = msg as Record<string, unknown>;
  const reqId = int({ min: 0, max: Number.MAX_SAFE_INTEGER })(m.id, "id");
  for (const k of Object.keys(m)) if (k !== "id" && k !== "method" && k !== "params") throw new ValidationError(`message.${k}: unknown field`);
  const method = requireMethod(m.method);
  return { id: reqId, method, params: validateParams(method, m.params) };
}

/**
 * A request's method, or a ValidationError naming what came instead. Only a string is quoted
 * back: String() of a deeply nested array overflows the stack, which answered a malformed
 * message with INTERNAL "Maximum call stack size exceeded".
 */
export function requireMethod(method: unknown): Method {
  if (typeof method !== "string") throw new ValidationError(`method: expected a string, got ${method === null ? "null" : Array.isArray(method) ? "an array" : typeof method}`);
  if (!isMethod(method)) throw new ValidationError(`method: unknown method ${JSON.stringify(method.slice(0, 80)).slice(0, 84)}`);
  return method;
}
