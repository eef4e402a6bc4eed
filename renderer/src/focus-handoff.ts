// A button that appears as another leaves (Stop for Send/Regenerate, Cancel for Read), and
// leaves in its turn: the focus would fall to the page each time. `ref` is a stable ref
// callback (its cleanup runs once, while the button is still in the page): the button takes
// the focus as it appears when `take()` was called (the button that started it had it), and
// hands it to `next()` as it leaves with it.
import { useCallback, useRef } from "react";

export function useFocusHandoff(next: () => HTMLElement | null | undefined) {
  const pending = useRef(false);
  const nextRef = useRef(next);
  nextRef.current = next;
  const ref = useCallback((el: HTMLButtonElement | null) => {
    if (!el) return;
    if (pending.current) el.focus();
    pending.current = false;
    return () => {
      if (document.activeElement === el) nextRef.current()?.focus();
    };
  }, []);
  return {
    ref,
    /** The next button to appear takes the focus when `from` has it now. */
    take: (from: Element) => void (pending.current = document.activeElement === from),
    /** Nothing appeared after all (the action failed). */
    drop: () => void (pending.current = false),
  };
}
