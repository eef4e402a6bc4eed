// Where tome keeps its data when not told: the platform's app-data folder
// (Electron's app.getPath("userData") agrees with these).
//   Linux   $XDG_CONFIG_HOME/tome or ~/.config/tome
//   macOS   ~/Library/Application Support/tome
//   Windows %APPDATA%\tome
import * as os from "node:os";
import * as path from "node:path";

export function defaultDataDir(platform = process.platform, env = process.env, home = os.homedir()): string {
  if (platform === "win32") return path.join(env.APPDATA ?? path.join(home, "AppData", "Roaming"), "tome");
  if (platform === "darwin") return path.join(home, "Library", "Application Support", "tome");
  return path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "tome");
}

export function defaultModelsDir(dataDir: string): string {
  return path.join(dataDir, "models");
}
