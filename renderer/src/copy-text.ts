// Text to the system clipboard: the Clipboard API where the page may use it (a
// secure context: localhost, the desktop app), else the older copy command over a
// selected, off-screen text box. Resolves whether the text was copied.

export async function copyText(text: string): Promise<boolean> {
  try {
    const clipboard = globalThis.navigator?.clipboard as Clipboard | undefined; // absent outside a secure context
    if (clipboard) {
      await clipboard.writeText(text);
      return true;
    }
  } catch {
    // refused (no permission, the page not focused): the copy command may still work
  }
  return copyBySelection(text);
}

function copyBySelection(text: string): boolean {
  const box = document.createElement("textarea");
  box.value = text;
  box.setAttribute("readonly", "");
  box.style.position = "fixed";
  box.style.left = "-9999px";
  document.body.appendChild(box);
  const focused = document.activeElement as HTMLElement | null;
  try {
    box.focus();
    box.select();
    return document.execCommand?.("copy") ?? false;
  } catch {
    return false;
  } finally {
    box.remove();
    focused?.focus?.();
  }
}
