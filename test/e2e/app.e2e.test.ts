// End to end in a real browser: Debian's chromium driven by playwright-core
// against `tome serve` with the fixture model stories260K (context 2048, so only
// the beginning of each book is read; the UI says so). Uploads the txt, epub,
// html (Alice's txt set as a page here) and pdf books, sees progress then
// "ready", asks, watches the answer stream, stops one midway, checks the live
// panels, restarts the server and finds the conversation again; on the way,
// checks that an 800x600 window fits, finds a phrase in the book and in every
// book, and exports a conversation.
// Screenshots: test-artifacts/e2e/*.png.
// Needs: a built app (npm run build), the engine addon, /usr/bin/chromium, ../shared.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { testDataDir } from "../../main/bench/test-data";
import { addonPath } from "../../main/engine/native";

const CHROMIUM = process.env.TOME_CHROMIUM ?? "/usr/bin/chromium";
const data = testDataDir();
const root = path.resolve(__dirname, "..", "..");
const artifacts = path.join(root, "test-artifacts", "e2e");
const built = fs.existsSync(path.join(root, "build", "main", "cli", "index.js")) && fs.existsSync(path.join(root, "build", "renderer", "index.html"));
let addon = true;
try {
  addonPath();
} catch {
  addon = false;
}
const missing = [!data && "test data", !built && "a built app (npm run build)", !addon && "the engine addon", !fs.existsSync(CHROMIUM) && CHROMIUM].filter(Boolean);
if (missing.length) console.warn(`e2e skipped: missing ${missing.join(", ")}`);

const books = {
  txt: path.join(data ?? "", "books", "alice-in-wonderland_pg11.txt"),
  html: "", // written by alicePage()
  epub: path.join(data ?? "", "books", "alice-in-wonderland.epub"),
  pdf: path.join(data ?? "", "books", "alice-in-wonderland_pg11.pdf"),
};
const model = path.join(data ?? "", "models", "stories260K.gguf");

interface Served {
  child: ChildProcess;
  url: string;
}

function serve(dataDir: string): Promise<Served> {
  const child = spawn(process.execPath, [path.join(root, "bin", "tome.js"), "serve", "--port", "0", "--model", model, "--data-dir", dataDir], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: process.env,
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b;
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        const m = /^tome: serving at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/.exec(line);
        if (m) resolve({ child, url: m[1] });
        else reject(new Error(`unexpected first line: ${line}`));
      }
    });
    child.once("exit", (c) => reject(new Error(`tome serve exited (${c})`)));
  });
}

async function stop(s: Served | null) {
  if (!s || s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
}

/** Waits until the locator's text matches (Playwright's own expect is not used under Vitest). */
async function waitText(l: Locator, re: RegExp, timeout = 30_000): Promise<string> {
  let last = "";
  await expect
    .poll(async () => {
      last = (await l.textContent({ timeout: 1000 }).catch(() => null)) ?? "";
      return re.test(last);
    }, { timeout, interval: 100 })
    .toBe(true)
    .catch(() => {
      throw new Error(`text never matched ${re}; last text: ${JSON.stringify(last.slice(0, 300))}`);
    });
  return last;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

/**
 * Asks a question. Send is enabled only with a book selected, a model loaded, the engine idle
 * and text in the box; when it stays disabled (seen once in CI), the error says which of those
 * failed and the page is kept as `${shotName}-send-disabled.png`.
 */
/** Alice's plain-text edition as an HTML page (paragraphs, <h2> chapters), written into `dir`. */
function alicePage(dir: string): string {
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const txt = fs.readFileSync(books.txt, "utf8").replace(/\r\n/g, "\n");
  const body = txt
    .split(/\n\s*\n/)
    .filter((p) => p.trim())
    .map((p) => (/^CHAPTER [IVXL]+\./.test(p) ? `<h2>${escape(p)}</h2>` : `<p>${escape(p)}</p>`))
    .join("\n");
  const file = path.join(dir, "alice.html");
  fs.writeFileSync(file, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Alice's Adventures in Wonderland</title></head><body>${body}</body></html>`);
  return file;
}

async function ask(page: Page, question: string, shotName: string) {
  await page.getByTestId("chat-input").fill(question);
  await page.getByTestId("send").click().catch(async (e: unknown) => {
    const state = page.getByTestId("engine-state");
    const facts = {
      activity: await state.getAttribute("data-activity").catch(() => null),
      engine: await state.textContent().catch(() => null),
      input: await page.getByTestId("chat-input").inputValue().catch(() => null),
      placeholder: await page.getByTestId("chat-input").getAttribute("placeholder").catch(() => null),
      docStatus: await page.getByTestId("doc-status").textContent().catch(() => null),
    };
    await shot(page, `${shotName}-send-disabled`).catch(() => {});
    throw new Error(`${(e as Error).message}\npage: ${JSON.stringify(facts)}`);
  });
}

describe.skipIf(missing.length > 0)("tome in a browser (e2e)", () => {
  let browser: Browser;
  let page: Page;
  let server: Served | null = null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-e2e-"));

  beforeAll(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    server = await serve(dataDir);
    await page.goto(server.url);
    await page.getByTestId("engine-state").filter({ hasText: "stories260K.gguf" }).waitFor({ timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await stop(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function upload(kind: keyof typeof books, shotName: string) {
    const before = await page.locator(".doc-list li").count();
    // Watch for the progress bar from the moment the file goes in (the tiny model reads fast).
    const sawProgress = page.getByTestId("prefill-progress").waitFor({ timeout: 60_000 }).then(() => true, () => false);
    await page.getByTestId("file-input").setInputFiles(kind === "html" ? alicePage(dataDir) : books[kind]);
    await expect.poll(() => page.locator(".doc-list li").count(), { timeout: 60_000 }).toBe(before + 1);
    expect(await sawProgress).toBe(true);
    // Catch the prefill phase (tokens/s, ETA) for the screenshot when it lasts long enough to see.
    await waitText(page.getByTestId("prefill-progress"), /prefill \d/, 10_000).catch(() => {});
    await shot(page, `${shotName}-reading`).catch(() => {});
    await waitText(page.getByTestId("doc-status"), /\bready\b/, 120_000);
    await waitText(page.getByTestId("context-note"), /The model's context holds 2,048 tokens/);
    await shot(page, `${shotName}-ready`);
  }

  it("reads a txt, an epub, an html page and a pdf: progress, then ready", async () => {
    await upload("txt", "01-txt");
    await upload("epub", "02-epub");
    await upload("html", "02b-html");
    // the page's chapters are its <h2> headings
    expect(await page.getByLabel("Chapter").locator("option").allTextContents()).toContain("CHAPTER I. Down the Rabbit-Hole");
    await upload("pdf", "03-pdf");
    const titles = await page.locator(".doc-list .doc-title span").allTextContents();
    expect(titles.length).toBe(4);
  });

  it("fits an 800x600 window: no sideways scroll, the header's buttons on screen, room to read, the question box's hint whole", async () => {
    await page.setViewportSize({ width: 800, height: 600 });
    try {
      await page.waitForTimeout(300); // the panels fold away on a short window
      const m = await page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        offscreen: [...document.querySelectorAll(".topbar button")]
          .map((b) => ({ text: b.textContent, r: b.getBoundingClientRect() }))
          .filter(({ r }) => r.left < 0 || r.right > window.innerWidth || r.bottom > window.innerHeight)
          .map(({ text }) => text),
        reader: document.querySelector(".reader-text")?.getBoundingClientRect().height ?? 0,
        // an empty textarea's scroll height is its placeholder's: over its own height, the hint is cut off
        hint: (() => {
          const box = document.querySelector<HTMLTextAreaElement>('[data-testid="chat-input"]');
          return box && box.value === "" ? { text: box.placeholder, over: box.scrollHeight - box.clientHeight } : null;
        })(),
      }));
      await shot(page, "03b-narrow-800x600");
      expect(m.overflow).toBeLessThanOrEqual(0);
      expect(m.offscreen).toEqual([]);
      expect(m.reader).toBeGreaterThan(250);
      expect(m.hint?.text).toMatch(/Ask about/);
      expect(m.hint?.over).toBeLessThanOrEqual(0);
    } finally {
      await page.setViewportSize({ width: 1500, height: 950 });
    }
  });

  it("asks a question and streams the answer into a new assistant message", async () => {
    await ask(page, "Who is the White Rabbit?", "04-answer");
    const answer = page.getByTestId("message-assistant").last();
    await answer.waitFor({ timeout: 30_000 });
    // The text grows while the cursor is shown, then the message is done.
    await expect.poll(async () => (await answer.textContent())?.length ?? 0, { timeout: 30_000 }).toBeGreaterThan(3);
    await page.getByTestId("send").waitFor({ timeout: 60_000 });
    await waitText(answer, /tok\/s/);
    await shot(page, "04-answer");
    // Live panels: non-zero numbers.
    await waitText(page.getByTestId("mem-cpu"), /engine [1-9][\d.]* (KiB|MiB|GiB)/);
    await waitText(page.getByTestId("mem-gpu"), /no GPU: CPU backend/);
    // a context under the engine's full-attention threshold is attended whole, and the panels say so:
    // all its KV in RAM (no static set split off), every key attended
    await waitText(page.getByTestId("kv-tiers"), /RAM [1-9][\d.]* (KiB|MiB) · disk/);
    await waitText(page.getByTestId("retrieval-stats"), /^Retrievalfull attention \(short context\): every key attended$/);
    await waitText(page.getByTestId("tokens-per-sec"), /[1-9][\d.]* tok\/s/);
    // Highlights come from the engine's retrieved positions (stepStats, issue 3).
    const stepStats = await page.getByTestId("engine-state").getAttribute("data-step-stats");
    if (stepStats === "yes") expect(await page.getByTestId("highlight").count()).toBeGreaterThan(0);
    else console.warn("e2e: the engine reports no per-step positions yet (stepStats); highlights not checked");
  });

  it("stops an answer midway", async () => {
    // The fixture model (~300 tokens/s here on full attention) may end its story (EOS) before the
    // stop takes effect: before the click lands (the stop button gone) or after
    // it, before the engine reads the cancel (the answer done, not stopped).
    // Then the question is asked again (a few times at most). In a new conversation: with the
    // first answer in its history the context (2048) leaves room for ~150 tokens, half a second
    // on full attention here; without, for the whole answer limit (256).
    await page.getByRole("button", { name: "Start a new conversation" }).click();
    await expect.poll(() => page.getByTestId("message-assistant").count(), { timeout: 30_000 }).toBe(0);
    for (let attempt = 1; ; attempt++) {
      const before = await page.getByTestId("message-assistant").count();
      await ask(page, "Tell me a long story about Alice and the Queen.", `05-attempt-${attempt}`);
      // the new answer, not the previous one (.last() would match it until the new one renders)
      await expect.poll(() => page.getByTestId("message-assistant").count(), { timeout: 30_000 }).toBe(before + 1);
      const answer = page.getByTestId("message-assistant").nth(before);
      const content = answer.locator(".content");
      // Some words have streamed (the answer's own text: the cursor and the waiting note aside), then
      // stop. Watched and clicked in the page, as the words render: the answer runs ~300 tokens/s
      // here, and a poll from the test and Playwright's click (its checks that the button is
      // visible and still) had often come after its end.
      const clicked = await page.evaluate(
        (nth) =>
          new Promise<boolean>((resolve) => {
            const check = () => {
              const el = document.querySelectorAll('[data-testid="message-assistant"]')[nth]?.querySelector(".content");
              const words = el ? Array.from(el.childNodes, (n) => (n.nodeType === Node.TEXT_NODE ? n.textContent : "")).join("").trim() : "";
              if (!words) return false;
              const stopButton = document.querySelector<HTMLButtonElement>('[data-testid="stop"]');
              stopButton?.click();
              resolve(stopButton !== null);
              return true;
            };
            if (check()) return;
            const seen = new MutationObserver(() => check() && seen.disconnect());
            seen.observe(document.body, { subtree: true, childList: true, characterData: true });
            setTimeout(() => (seen.disconnect(), resolve(false)), 30_000);
          }),
        before,
      );
      // the answer's end: its meta line, "stopped" or the finished answer's stats
      const end = await waitText(answer.locator(".meta"), /stopped|\d+ tokens/, 60_000);
      if (!/stopped/.test(end)) {
        console.warn(`e2e: answer ${attempt} ended ${clicked ? "before the stop took effect" : "before stop was clicked"}: ${end}`);
        expect(attempt).toBeLessThan(5);
        await page.getByTestId("send").waitFor({ timeout: 60_000 });
        continue;
      }
      const partial = ((await content.textContent()) ?? "").trim();
      expect(partial.length).toBeGreaterThan(0);
      const meta = (await answer.locator(".meta").textContent()) ?? "";
      const n = Number(/(\d+) tokens/.exec(meta)?.[1] ?? "0");
      expect(n).toBeGreaterThan(0); // stopped midway: some tokens, fewer than the limit
      expect(n).toBeLessThan(256); // settings.maxTokens (default)
      await shot(page, "05-stopped");
      return;
    }
  });

  it("finds a phrase anywhere in the book and shows it in its chapter, marked; then in every book", async () => {
    await page.keyboard.press("Control+f");
    const input = page.getByTestId("find-input");
    await input.fill("oh dear! oh dear! i shall be late"); // case aside
    await waitText(page.getByTestId("find-count"), /^\d+ match/);
    await page.getByTestId("find-results").locator("button").first().click();
    await waitText(page.getByTestId("find-mark"), /^Oh dear! Oh dear! I shall be late$/);
    expect(await page.getByLabel("Chapter").locator("option:checked").textContent()).toMatch(/CHAPTER/);
    await shot(page, "05b-found");
    await input.press("Escape");
    await expect.poll(() => page.getByTestId("find-mark").count()).toBe(0);
    // every book: the txt, html and pdf hold it; the EPUB, another edition, has "I shall be too late"
    await page.getByTestId("library-search").fill("oh dear! oh dear! i shall be late");
    await waitText(page.getByTestId("library-search-count"), /^3 books hold it$/);
    await shot(page, "05c-library-search");
    await page.getByTestId("library-search").press("Escape");
  });

  it("exports the conversation as a Markdown file", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-conversation").click()]);
    expect(download.suggestedFilename()).toMatch(/^Alice's Adventures in Wonderland - .+\.md$/);
    const text = fs.readFileSync((await download.path())!, "utf8");
    expect(text).toMatch(/^# .+\n\nAbout \*Alice's Adventures in Wonderland\* by Lewis Carroll\. Exported from tome on \d{4}-\d\d-\d\d\./);
    expect(text).toContain("## Question\n\nTell me a long story about Alice and the Queen.");
    expect(text).toContain("## Answer");
  });

  it("asks about a passage selected in the book: quoted above the question, shown marked in the book", async () => {
    const phrase = "Oh dear! Oh dear! I shall be late!";
    // the reader is where the find before showed the phrase
    const chapter = await page.getByLabel("Chapter").locator("option:checked").textContent();
    await waitText(page.locator(".book"), new RegExp(phrase.replace(/[.!?]/g, "\\$&")));
    // selected with the mouse, from the phrase's first character to its last
    const box = await page.evaluate((p) => {
      const book = document.querySelector(".book")!;
      const walker = document.createTreeWalker(book, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const at = n.textContent!.indexOf(p);
        if (at < 0) continue;
        const r = document.createRange();
        r.setStart(n, at);
        r.setEnd(n, at + p.length);
        r.startContainer.parentElement!.scrollIntoView({ block: "center" });
        const rects = [...r.getClientRects()];
        const first = rects[0];
        const last = rects[rects.length - 1];
        return { x0: first.left + 1, y0: first.top + first.height / 2, x1: last.right - 1, y1: last.top + last.height / 2 };
      }
      return null;
    }, phrase);
    expect(box).not.toBeNull();
    await page.mouse.move(box!.x0, box!.y0);
    await page.mouse.down();
    await page.mouse.move(box!.x1, box!.y1, { steps: 5 });
    await page.mouse.up();
    const ask = page.getByTestId("ask-about");
    await ask.waitFor({ timeout: 10_000 });
    await shot(page, "05c-ask-about");
    await ask.click();
    await waitText(page.getByTestId("quote-chip"), new RegExp(`“${phrase.replace(/[.!?]/g, "\\$&")}”`));
    const before = await page.getByTestId("message-assistant").count();
    await page.getByTestId("chat-input").fill("Who says this, and why?");
    await shot(page, "05d-quote-chip");
    // the passage over the question box leaves the conversation room on an 800x600 window
    await page.setViewportSize({ width: 800, height: 600 });
    try {
      await page.waitForTimeout(300);
      const room = await page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        messages: document.querySelector(".messages")?.getBoundingClientRect().height ?? 0,
        chip: document.querySelector("[data-testid=quote-chip]")?.getBoundingClientRect().height ?? 0,
      }));
      await shot(page, "05d-quote-chip-800x600");
      expect(room.overflow).toBeLessThanOrEqual(0);
      expect(room.chip).toBeGreaterThan(0);
      expect(room.messages).toBeGreaterThan(120);
    } finally {
      await page.setViewportSize({ width: 1500, height: 950 });
    }
    await page.getByTestId("send").click();
    await expect.poll(() => page.getByTestId("message-assistant").count(), { timeout: 30_000 }).toBe(before + 1);
    await page.getByTestId("send").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("quote-chip").count()).toBe(0);
    const question = page.getByTestId("message-user").last();
    expect(await question.getByTestId("quoted").textContent()).toBe(`“${phrase}”`);
    expect(await question.locator(".content").textContent()).toBe("Who says this, and why?");
    await waitText(page.getByTestId("message-assistant").last().locator(".meta"), /\d+ tokens/);
    // clicked: the book shows it, marked, in its chapter (from another chapter)
    await page.getByLabel("Chapter", { exact: true }).selectOption({ index: 5 });
    expect(await page.getByLabel("Chapter").locator("option:checked").textContent()).not.toBe(chapter);
    await question.getByTestId("quoted").click();
    await waitText(page.getByTestId("quote-mark"), new RegExp(`^${phrase.replace(/[.!?]/g, "\\$&")}$`));
    expect(await page.getByLabel("Chapter").locator("option:checked").textContent()).toBe(chapter);
    await shot(page, "05e-asked-about");
    // edited: the question (its passage kept) replaces the one before and its answer
    const questions = await page.getByTestId("message-user").count();
    await question.getByTestId("edit-question").click();
    // (the input takes the question on the next render: polled, not read at once)
    await expect.poll(() => page.getByTestId("chat-input").inputValue(), { timeout: 10_000 }).toBe("Who says this, and why?");
    await waitText(page.getByTestId("quote-chip"), new RegExp(`“${phrase.replace(/[.!?]/g, "\\$&")}”`));
    await page.getByTestId("chat-input").fill("Who says this?");
    await page.getByTestId("send").click();
    await waitText(page.getByTestId("message-user").last().locator(".content"), /^Who says this\?$/);
    await page.getByTestId("send").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("message-user").count()).toBe(questions);
    expect(await page.getByTestId("message-user").last().getByTestId("quoted").textContent()).toBe(`“${phrase}”`);
    await waitText(page.getByTestId("message-assistant").last().locator(".meta"), /\d+ tokens/);
  });

  it("finds the conversation again after a server restart", async () => {
    const firstQuestion = "Who is the White Rabbit?";
    await page.getByTestId("conversation").filter({ hasText: firstQuestion }).first().click();
    await waitText(page.locator(".message.user").first(), new RegExp(firstQuestion.replace("?", "\\?")));
    const before = await page.getByTestId("message-assistant").count();
    expect(before).toBeGreaterThan(0);
    await stop(server);
    server = await serve(dataDir);
    await page.goto(server.url);
    // The books are listed; pick the one we talked about (the pdf) and its conversation.
    await page.locator(".doc-list li").first().waitFor({ timeout: 30_000 });
    await page.locator(".doc-title", { hasText: "pdf ·" }).click();
    // the engine holds no KV after the restart, but the book's store is on disk: "saved", not "not read yet"
    await waitText(page.getByTestId("doc-status"), /saved/);
    await waitText(page.getByTestId("saved-note"), /on disk/);
    // (seen once in CI: the list lacked the conversation; the txt had been opened, the books
    // reported before the list arrived having been shown reversed, since fixed; the page as it
    // stands is kept if it happens again)
    await page.getByTestId("conversation").filter({ hasText: firstQuestion }).first().click()
      .catch(async (e: unknown) => {
        await shot(page, "06-after-restart-no-conversation").catch(() => {});
        throw e;
      });
    await expect.poll(() => page.getByTestId("message-assistant").count(), { timeout: 30_000 }).toBe(before);
    await waitText(page.locator(".message.user").first(), new RegExp(firstQuestion.replace("?", "\\?")));
    await shot(page, "06-after-restart");
  });

  it("reloads without the token in its address; a page without a token this server takes says so", async () => {
    expect(page.url()).not.toContain("token="); // the page took it out of the address bar
    await page.reload();
    await page.getByTestId("engine-state").filter({ hasText: "stories260K.gguf" }).waitFor({ timeout: 30_000 });
    const stranger = await browser.newPage(); // a context of its own: no stored token
    try {
      await stranger.goto(server!.url.replace(/\?token=.*$/, ""));
      await stranger.getByTestId("connection-refused").waitFor({ timeout: 30_000 });
      await stranger.goto(server!.url.replace(/token=.*$/, "token=wrong"));
      await stranger.getByTestId("connection-refused").waitFor({ timeout: 30_000 });
    } finally {
      await stranger.close();
    }
  });
});
