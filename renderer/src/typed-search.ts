// A search run as a person types: once the typing pauses, on a query of a few
// characters at least (trimmed). The answer to a later query replaces an earlier
// one's, and an earlier answer that comes after it is dropped.
import { useEffect, useRef, useState } from "react";

/** Typing pauses this long before a search. */
const TYPING_MS = 250;
const MIN_QUERY = 2;

export interface TypedSearch<R> {
  /** The last answer (null while the query is too short, or before the first). */
  result: R | null;
  error: string | null;
}

/** `run` searches for the trimmed query; `key` names what else the answer depends on (the book searched). */
export function useTypedSearch<R>(query: string, run: (q: string) => Promise<R>, key: unknown = null): TypedSearch<R> {
  const [state, setState] = useState<TypedSearch<R>>({ result: null, error: null });
  const seq = useRef(0);
  useEffect(() => {
    const q = query.trim();
    const mine = ++seq.current;
    if (q.length < MIN_QUERY) {
      setState({ result: null, error: null });
      return;
    }
    const t = setTimeout(() => {
      run(q).then(
        (result) => mine === seq.current && setState({ result, error: null }),
        (e: Error) => mine === seq.current && setState((s) => ({ ...s, error: e.message })),
      );
    }, TYPING_MS);
    return () => clearTimeout(t);
  }, [query, key]);
  return state;
}
