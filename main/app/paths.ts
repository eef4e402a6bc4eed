// Where tome keeps its data when not told: the platform's app-data folder
// (Electron's app.getPath("userData") agrees with these).
//   Linux   $XDG_CONFIG_HOME/tome or ~/.config/tome
//   macOS   ~/Library/Application Support/tome
//   Windows %APPDATA%\tome
// and its KV stores (gigabytes a book, made again when lost) in the platform's
// cache folder, which is not backed up nor synced with a roaming profile:
//   Linux   $XDG_CACHE_HOME/tome/kv-cache or ~/.cache/tome/kv-cache
//   macOS   ~/Library/Caches/tome/kv-cache
//   Windows %LOCALAPPDATA%\tome\kv-cache
import * as os from "node:os";
import * as path from "node:path";

export function defaultDataDir(platform = process.platform, env = process.env, home = os.homedir()): string {
  if (platform === "win32") return path.join(env.APPDATA ?? path.join(home, "AppData", "Roaming"), "tome");
  if (platform === "darwin") return path.join(home, "Library", "Application Support", "tome");
  return path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "tome");
}

export function defaultKvCacheDir(platform = process.platform, env = process.env, home = os.homedir()): string {
  if (platform === "win32") return path.join(env.LOCALAPPDATA ?? path.join(home, "AppData", "Local"), "tome", "kv-cache");
  if (platform === "darwin") return path.join(home, "Library", "Caches", "tome", "kv-cache");
  return path.join(env.XDG_CACHE_HOME || path.join(home, ".cache"), "tome", "kv-cache");
}

/** The KV stores of a data folder given explicitly (--data-dir, a test's folder): inside it. */
export function kvCacheDirIn(dataDir: string): string {
  return path.join(dataDir, "kv-cache");
}

export function defaultModelsDir(dataDir: string): string {
  return path.join(dataDir, "models");
}
