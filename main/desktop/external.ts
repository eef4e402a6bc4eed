// Which links may leave the app for the system browser: https on a short
// allow-list of hosts. Pure (no Electron import) so it is tested in Node.
export const EXTERNAL_HOSTS = new Set(["github.com", "www.gutenberg.org", "huggingface.co", "arxiv.org"]);

/** True for https URLs on an allowed host; everything else stays closed. */
export function externalAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" && EXTERNAL_HOSTS.has(u.hostname) && u.username === "" && u.password === "";
  } catch {
    return false;
  }
}
