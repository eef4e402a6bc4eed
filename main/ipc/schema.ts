// A tiny runtime schema kit for validating untrusted messages. A Schema<T> checks
// an unknown value and returns it typed as T, or throws a ValidationError that
// names the offending path ("params.documentId: expected an integer >= 1").
// Hand-written on purpose: a dozen combinators cover the whole contract and keep
// error messages exact.

export class ValidationError extends Error {
  readonly code = "BAD_REQUEST" as const;
}

export type Schema<T> = (v: unknown, path: string) => T;

const fail = (path: string, what: string): never => {
  throw new ValidationError(`${path}: ${what}`);
};

const describe = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "string" ? "a string" : typeof v;

export function str(opts: { min?: number; max: number; pattern?: RegExp; patternText?: string }): Schema<string> {
  return (v, path) => {
    if (typeof v !== "string") return fail(path, `expected a string, got ${describe(v)}`);
    if (v.length < (opts.min ?? 0)) return fail(path, `must have at least ${opts.min} characters`);
    if (v.length > opts.max) return fail(path, `must have at most ${opts.max} characters (got ${v.length})`);
    if (opts.pattern && !opts.pattern.test(v)) return fail(path, opts.patternText ?? `does not match ${opts.pattern}`);
    return v;
  };
}

export function int(opts: { min: number; max: number }): Schema<number> {
  return (v, path) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return fail(path, `expected an integer, got ${describe(v)}`);
    if (v < opts.min || v > opts.max) return fail(path, `must be in [${opts.min}, ${opts.max}], got ${v}`);
    return v;
  };
}

export function num(opts: { min: number; max: number }): Schema<number> {
  return (v, path) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return fail(path, `expected a finite number, got ${describe(v)}`);
    if (v < opts.min || v > opts.max) return fail(path, `must be in [${opts.min}, ${opts.max}], got ${v}`);
    return v;
  };
}

export const bool: Schema<boolean> = (v, path) => (typeof v === "boolean" ? v : fail(path, `expected a boolean, got ${describe(v)}`));

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  return (v, path) =>
    typeof v === "string" && (values as readonly string[]).includes(v)
      ? (v as T[number])
      : fail(path, `expected one of ${values.join(", ")}`);
}

type Shape = Record<string, Schema<unknown>>;
type Out<S extends Shape, O extends Shape> = { [K in keyof S]: ReturnType<S[K]> } & { [K in keyof O]?: ReturnType<O[K]> };

/** A plain object with exactly these keys (required + optional); unknown keys are refused. */
export function obj<S extends Shape, O extends Shape = {}>(required: S, optional?: O): Schema<Out<S, O>> {
  return (v, path) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(path, `expected an object, got ${describe(v)}`);
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return fail(path, "expected a plain object");
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      // own fields only: `in` also found inherited names, so "constructor" or "__proto__" passed as known
      if (!Object.hasOwn(required, k) && !(optional && Object.hasOwn(optional, k))) fail(`${path}.${k}`, "unknown field");
    }
    for (const [k, s] of Object.entries(required)) out[k] = s((v as Record<string, unknown>)[k], `${path}.${k}`);
    for (const [k, s] of Object.entries(optional ?? {})) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = s(x, `${path}.${k}`);
    }
    return out as Out<S, O>;
  };
}

/** An empty params object: {} (undefined is accepted too, for convenience of callers). */
export const empty: Schema<Record<string, never>> = (v, path) => {
  if (v === undefined) return {};
  return obj({})(v, path) as Record<string, never>;
};

export function arr<T>(item: Schema<T>, opts: { max: number }): Schema<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) return fail(path, `expected an array, got ${describe(v)}`);
    if (v.length > opts.max) return fail(path, `must have at most ${opts.max} items`);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
}
