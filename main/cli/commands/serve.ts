// tome serve [--port 7878] [--host H] [--model M.gguf] [--models-dir D] [--data-dir D]
// The app in a browser: the renderer and the contract over HTTP + WebSocket. The
// first stdout line is exactly "tome: serving at http://127.0.0.1:PORT/?token=..."
// (scripts and tests read it). The engine runs in a child process.
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../../engine/native";
import { createCore } from "../../app/bootstrap";
import { defaultDataDir, defaultKvCacheDir } from "../../app/paths";
import { forkEngine } from "../../host/engine-client";
import { startServer } from "../../server";
import { dataDirToken } from "../../server/auth";
import { intArg, parse, UsageError } from "../args";
import { CliError, isSystemError } from "../errors";
import { checkReadableFile } from "../files";

export const DEFAULT_PORT = 7878;

export const usage = `tome serve [--port ${DEFAULT_PORT}] [--host 127.0.0.1] [--model M.gguf] [--models-dir D] [--data-dir D]`;

export const flags = `  --port P               the port to listen on (${DEFAULT_PORT}; 0 = any free port)
  --host H               the address to listen on (127.0.0.1); pages are served to a browser
                         that names this address or localhost (a guard against DNS
                         rebinding), so a wildcard such as 0.0.0.0 serves no other machine
  --model FILE           a GGUF model to load at start
  --models-dir D         the folder of models the app offers
  --data-dir D           the library, settings and caches (the app's data folder)
  -h, --help             this help`;

/** The server, or one line saying why it cannot listen (the core closed, so the process can end). */
async function listen(core: ReturnType<typeof createCore>, rendererDir: string, host: string | undefined, port: number, token: string) {
  try {
    return await startServer({ core, rendererDir, host, port, token });
  } catch (e) {
    core.close();
    if (isSystemError(e) && e.code === "EADDRINUSE")
      throw new CliError(`cannot listen on ${host ?? "127.0.0.1"}:${port}: address already in use (--port 0 takes any free port)`);
    throw e;
  }
}

export async function serve(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    port: { type: "string" },
    host: { type: "string" },
    model: { type: "string" },
    "models-dir": { type: "string" },
    "data-dir": { type: "string" },
  });
  const port = intArg(values.port, "port", DEFAULT_PORT, 0, 65535);
  const rendererDir = path.join(packageRoot(), "build", "renderer");
  if (!fs.existsSync(path.join(rendererDir, "index.html"))) {
    throw new UsageError(`the UI is not built (${rendererDir}); run npm run build`);
  }
  if (values.model) checkReadableFile("--model", values.model);
  const dataDir = path.resolve(values["data-dir"] ?? defaultDataDir());
  const core = createCore({
    dataDir,
    // the default data folder's stores go to the platform's cache folder (as the desktop app's)
    cacheDir: values["data-dir"] ? undefined : defaultKvCacheDir(),
    modelsDir: values["models-dir"] ? path.resolve(values["models-dir"]) : undefined,
    mode: "browser",
    spawn: forkEngine(),
    cliModel: values.model ?? null,
  });
  const server = await listen(core, rendererDir, values.host, port, dataDirToken(dataDir));
  // listening for the stop before saying where it serves: a script that reads the line and
  // stops it at once gets a clean close, not the default death by signal
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  process.stdout.write(`tome: serving at ${server.url}\n`);
  process.stderr.write(`tome: data in ${dataDir}; Ctrl-C stops\n`);
  void core.autoLoad();
  await stopped;
  await server.close();
  core.close();
  return 0;
}
