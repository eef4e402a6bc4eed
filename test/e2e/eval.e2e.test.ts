// tome eval end to end, in a real browser (Debian's chromium via playwright-core):
//   - the CLI writes an HTML report for stories260K; the report is opened and
//     screenshotted (self-contained: it loads with no network at all);
//   - `tome serve` with stories260K: the Evaluate view runs a small subset with
//     progress, the heatmaps and the summary fill in, and a second run is
//     cancelled midway.
// Screenshots: test-artifacts/e2e/eval-*.png.
// Needs: a built app (npm run build), the engine addon, /usr/bin/chromium, ../shared.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { testDataDir } from "../../main/bench/test-data";

const CHROMIUM = process.env.TOME_CHROMIUM ?? "/usr/bin/chromium";
const data = testDataDir();
const root = path.resolve(__dirname, "..", "..");
const artifacts = path.join(root, "test-artifacts", "e2e");
const built = fs.existsSync(path.join(root, "build", "main", "cli", "commands", "eval.js")) && fs.existsSync(path.join(root, "build", "renderer", "index.html"));
const missing = [!data && "test data", !built && "a built app (npm run build)", !fs.existsSync(CHROMIUM) && CHROMIUM].filter(Boolean);
if (missing.length) console.warn(`eval e2e skipped: missing ${missing.join(", ")}`);
const model = path.join(data ?? "", "models", "stories260K.gguf");
const cli = path.join(root, "bin", "tome.js");

function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, "serve", "--port", "0", "--model", model, "--data-dir", dataDir], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b;
      const m = /tome: serving at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once("exit", (c) => reject(new Error(`tome serve exited (${c})`)));
  });
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

describe.skipIf(missing.length > 0)("tome eval (e2e)", () => {
  let browser: Browser;
  let server: { child: ChildProcess; url: string } | null = null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-eval-e2e-"));

  beforeAll(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--no-first-run"] });
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.child.exitCode === null) {
      const exited = new Promise((r) => server!.child.once("exit", r));
      server.child.kill("SIGTERM");
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("the CLI's report opens offline and shows heatmaps, agreement and KL", async () => {
    const report = path.join(artifacts, "eval-report.html");
    const r = spawnSync(
      process.execPath,
      [cli, "eval", "--model", model, "--tasks", "niah_single,passkey,common_words", "--lengths", "640,1K", "--depths", "0,50,100", "--sinks", "16", "--window", "64", "--topk", "32", "--threads", "2", "--report", report],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await page.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort())); // no network
    await page.goto("file://" + report);
    expect(await page.locator("svg").count()).toBeGreaterThan(20);
    expect(await page.getByTestId("cannot-solve").textContent()).toMatch(/cannot solve these tasks/);
    await shot(page, "eval-report");
    await page.close();
  });

  it("the Evaluate view runs a subset on the loaded model with progress, then cancels another run", async () => {
    server = await serve(dataDir);
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await page.goto(server.url);
    await page.getByTestId("engine-state").filter({ hasText: "stories260K.gguf" }).waitFor({ timeout: 60_000 });
    await page.getByTestId("view-evaluate").click();
    await page.getByTestId("eval-lengths").fill("512,1K");
    await page.getByTestId("eval-depths").fill("0,50,100");
    await page.getByTestId("eval-sinks").fill("16");
    await page.getByTestId("eval-window").fill("64");
    await page.getByTestId("eval-run").click();
    await page.getByTestId("eval-progress").waitFor({ timeout: 30_000 });
    await page.getByTestId("eval-run").waitFor({ timeout: 240_000 }); // back when done
    await expect.poll(() => page.getByTestId("eval-progress").textContent(), { timeout: 10_000 }).toMatch(/36 \/ 36 .* done/);
    expect(await page.getByTestId("eval-heatmap").count()).toBe(2 * 9); // per task: score x 3 modes, difference, agreement and KL x 2 sparse modes
    expect(await page.getByTestId("eval-summary").textContent()).toMatch(/retrieval/);
    await shot(page, "eval-view");
    // a longer run, cancelled once it has started
    await page.getByTestId("eval-task-common_words").check();
    await page.getByTestId("eval-lengths").fill("2K");
    await page.getByTestId("eval-run").click();
    await page.getByTestId("eval-cancel").click({ timeout: 30_000 });
    // a cancel the person chose is a plain note, not an error
    await expect.poll(() => page.getByTestId("eval-note").textContent().catch(() => ""), { timeout: 120_000 }).toMatch(/^Cancelled/);
    await shot(page, "eval-view-cancelled");
    await page.close();
  });
});
