// Whether this process runs inside a packaged desktop app (Electron, not started
// as `electron .`): there, environment overrides that load other native code
// (TOME_ADDON, TOME_SQLITE_BINDING) are ignored, so that nothing but the app's own
// signed binaries runs under its name.
type ProcessLike = { versions: Record<string, string | undefined>; defaultApp?: boolean; env: Record<string, string | undefined> };

export function runsPackaged(p: ProcessLike = process as ProcessLike): boolean {
  return !!p.versions.electron && !p.defaultApp;
}

/** An environment variable that chooses native code, unless the app is packaged. */
export function devOverride(name: string, p: ProcessLike = process as ProcessLike): string | undefined {
  return runsPackaged(p) ? undefined : p.env[name];
}
