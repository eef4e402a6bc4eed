// @vitest-environment happy-dom
// The settings dialog (refusals kept in the dialog, a real modal), the chat
// (following the stream, why an answer ended, focus after Stop, an answer running
// in another conversation, input methods) and the notices (close, expiry, repeats).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { NUMBER_FIELDS } from "../../renderer/src/components/SettingsDialog";
import { INFO_MS, LOST_LONG_MS } from "../../renderer/src/components/Notices";
import { resetStore, useStore } from "../../renderer/src/store";
import { validateParams } from "../../main/ipc/validate";
import type { Settings, SettingsPatch } from "../../main/ipc/contract";
import { connect, fakeApi, type FakeApi, type Handlers } from "./fake-api";
import { app, doc, engine, msg, settings as baseSettings } from "./fixtures";

const settings: Settings = { ...baseSettings, cacheBudgetGB: 20 };
const conversations = [
  { id: 1, documentId: 1, title: "Who is Alice?", systemPrompt: "", createdAt: 2, updatedAt: 2 },
  { id: 2, documentId: 1, title: "The Queen", systemPrompt: "", createdAt: 1, updatedAt: 1 },
];
let f: FakeApi;
let disconnect: () => void;
const s = () => useStore.getState();

async function start(over: Handlers = {}) {
  f = fakeApi({
    "app.info": () => app,
    "engine.status": () => engine,
    "settings.get": () => settings,
    "settings.set": (p) => ({ ...settings, ...p }),
    "models.list": () => [],
    "models.inspect": ({ path }) => ({ path, name: "tiny.gguf", sizeBytes: 10, arch: "llama", contextLength: 2048, hasChatTemplate: false, metadata: {}, memory: null, warning: null }),
    "library.list": () => [doc()],
    "library.text": ({ start = 0, end = 100 }) => ({ documentId: 1, start, end, text: "x".repeat(end - start) }),
    "chat.list": () => conversations,
    "chat.messages": () => [],
    "chat.send": ({ conversationId, text }) => ({
      user: msg({ id: 2, conversationId, role: "user", content: text }),
      assistant: msg({ id: 3, conversationId, status: "streaming" }),
    }),
    "chat.stop": () => ({ stopped: true }),
    ...over,
  });
  disconnect = connect(f);
  await s().init();
  render(<App />);
}

beforeEach(() => resetStore());
afterEach(() => {
  disconnect();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const dialog = () => screen.getByRole("dialog", { name: "Settings" });
const shown = () => screen.queryByRole("dialog", { name: "Settings" }) !== null;
const field = (label: string) => within(dialog()).getByLabelText(label) as HTMLInputElement;
const openSettings = () => {
  const button = screen.getByRole("button", { name: "Settings" });
  button.focus();
  fireEvent.click(button);
  return button;
};

describe("settings dialog", () => {
  it("refuses an emptied field in the dialog: stays open, keeps the edits, marks the field, sends nothing", async () => {
    await start();
    openSettings();
    fireEvent.change(field("Context length"), { target: { value: "" } });
    fireEvent.change(field("Temperature"), { target: { value: "0.5" } });
    fireEvent.click(within(dialog()).getByText("Save"));
    await act(async () => {});
    expect(shown()).toBe(true);
    expect(s().settingsOpen).toBe(true);
    expect(f.calls.some((c) => c.method === "settings.set")).toBe(false);
    expect(field("Context length").value).toBe(""); // not silently 0
    expect(field("Temperature").value).toBe("0.5");
    expect(field("Context length").getAttribute("aria-invalid")).toBe("true");
    const why = document.getElementById(field("Context length").getAttribute("aria-describedby")!);
    expect(why?.textContent).toBe("Enter a number.");
    expect(document.activeElement).toBe(field("Context length"));
    expect(s().notices).toHaveLength(0);
    // out of bounds: the same, with the bounds said
    fireEvent.change(field("Context length"), { target: { value: "0" } });
    expect(field("Context length").getAttribute("aria-invalid")).toBeNull(); // editing clears the mark
    fireEvent.click(within(dialog()).getByText("Save"));
    await act(async () => {});
    expect(screen.getByTestId("field-error").textContent).toBe("Enter a number from 128 to 2,097,152.");
    expect(shown()).toBe(true);
  });

  it("a refusal by the server keeps the dialog open with the field it names marked; another one is said in the dialog", async () => {
    let refusal = "params.attention.topK: must be in [1, 65536], got 7";
    await start({ "settings.set": () => Promise.reject(Object.assign(new Error(refusal), { code: "BAD_REQUEST" })) });
    openSettings();
    fireEvent.change(field("Temperature"), { target: { value: "0.5" } });
    fireEvent.click(within(dialog()).getByText("Save"));
    await waitFor(() => expect(field("Retrieved top-k").getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByTestId("field-error").textContent).toBe("Must be in [1, 65536], got 7.");
    expect(shown()).toBe(true);
    expect(field("Temperature").value).toBe("0.5");
    expect(document.activeElement).toBe(field("Retrieved top-k"));
    expect(s().notices).toHaveLength(0);
    refusal = "the settings file could not be written: disk full";
    fireEvent.click(within(dialog()).getByText("Save"));
    await waitFor(() => expect(screen.getByTestId("settings-error").textContent).toMatch(/Could not save the settings: .*disk full/));
    expect(shown()).toBe(true);
  });

  it("saves numbers as numbers and closes", async () => {
    await start();
    openSettings();
    fireEvent.change(field("Context length"), { target: { value: "4096" } });
    fireEvent.change(field("Temperature"), { target: { value: "0.5" } });
    fireEvent.click(within(dialog()).getByText("Save"));
    await waitFor(() => expect(s().settingsOpen).toBe(false));
    const p = f.calls.find((c) => c.method === "settings.set")!.params as SettingsPatch;
    expect(p).toMatchObject({ ctx: 4096, temperature: 0.5, attention: { mode: "full", sinks: 4, window: 1024, topK: 100 } });
    expect(() => validateParams("settings.set", p)).not.toThrow();
    expect(shown()).toBe(false);
  });

  it("says when the loaded model runs at less than the context setting (capped by its training)", async () => {
    await start();
    act(() => useStore.setState({ settings: { ...settings, ctx: 8192 } }));
    openSettings();
    expect(within(dialog()).getByTestId("ctx-capped").textContent).toBe("tiny.gguf runs at 2,048 tokens: a model is never loaded past the context it was trained for.");
  });

  it("gives the inputs the server's bounds", async () => {
    await start();
    openSettings();
    expect(field("Context length").min).toBe("128");
    expect(field("Context length").max).toBe(String(2 ** 21));
    expect(field("Max answer tokens").min).toBe("1");
    // settings.set applies the same bounds (settings-bounds.ts): each accepted, one step past it refused
    for (const [k, { min, max, step }] of Object.entries(NUMBER_FIELDS)) {
      const patch = (v: number): unknown =>
        k.startsWith("attention.") ? { attention: { ...settings.attention, [k.slice("attention.".length)]: v } } : { [k]: v };
      for (const ok of [min, max]) expect(() => validateParams("settings.set", patch(ok)), `${k} = ${ok}`).not.toThrow();
      for (const bad of [min - step, max + step]) expect(() => validateParams("settings.set", patch(bad)), `${k} = ${bad}`).toThrow();
      if (step === 1) expect(() => validateParams("settings.set", patch(min + 0.5)), `${k} whole`).toThrow();
    }
  });

  it("is a modal dialog: shown with showModal, focus on the first field, back to Settings when closed", async () => {
    const showModal = vi.spyOn(HTMLDialogElement.prototype, "showModal");
    await start();
    const button = openSettings();
    expect(showModal).toHaveBeenCalledTimes(1); // the browser keeps Tab inside and closes on Escape
    expect(shown()).toBe(true);
    expect(dialog().getAttribute("aria-labelledby")).toBe("settings-title");
    expect(document.activeElement).toBe(field("Threads (0 = all cores)"));
    // Escape: the browser closes the dialog ("cancel", then "close"); the store follows
    act(() => (dialog() as HTMLDialogElement).close());
    expect(s().settingsOpen).toBe(false);
    expect(document.activeElement).toBe(button);
    // Cancel, the same
    openSettings();
    fireEvent.change(field("Context length"), { target: { value: "999" } });
    fireEvent.click(within(dialog()).getByText("Cancel"));
    expect(shown()).toBe(false);
    expect(document.activeElement).toBe(button);
    // reopened: the settings, not the abandoned edit
    openSettings();
    expect(field("Context length").value).toBe("2048");
  });
});

describe("chat", () => {
  async function streamingAnswer() {
    await start();
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "Who is Alice?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(screen.getByTestId("stop")).toBeTruthy());
    act(() => f.emit("engine.status", { ...engine, activity: "answering" }));
  }

  it("follows the stream only while the reader is at the bottom, scrolling the list, not the page", async () => {
    const scrollIntoView = vi.fn();
    Element.prototype.scrollIntoView = scrollIntoView;
    await streamingAnswer();
    const list = document.querySelector(".messages") as HTMLElement;
    let height = 1000;
    Object.defineProperty(list, "scrollHeight", { configurable: true, get: () => height });
    Object.defineProperty(list, "clientHeight", { configurable: true, get: () => 200 });
    act(() => f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 0, text: "A girl " }));
    expect(list.scrollTop).toBe(1000); // at the bottom: follows
    // the reader scrolls up to read
    list.scrollTop = 300;
    fireEvent.scroll(list);
    height = 1200;
    act(() => f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 7, text: "who falls" }));
    expect(list.scrollTop).toBe(300);
    // back near the bottom: follows again
    list.scrollTop = 980;
    fireEvent.scroll(list);
    height = 1400;
    act(() => f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 16, text: " down" }));
    expect(list.scrollTop).toBe(1400);
    expect(scrollIntoView).not.toHaveBeenCalled();
  });

  it("says why an answer was cut off: the answer limit or a full context", async () => {
    await start();
    const stats = { promptTokens: 100, reusedTokens: 0, tokens: 64, prefillMs: 5, decodeMs: 50, tokensPerSec: 100 };
    act(() =>
      useStore.setState({
        messages: [
          msg({ id: 5, content: "limit", stats: { ...stats, stoppedBy: "length" } }),
          msg({ id: 6, content: "full", stats: { ...stats, promptTokens: 2048 - 64, stoppedBy: "context" } }),
          msg({ id: 7, content: "natural", stats: { ...stats, stoppedBy: "eog" } }),
        ],
      }),
    );
    const [limit, full, natural] = screen.getAllByTestId("message-assistant");
    expect(limit.querySelector("[data-testid=cut-reason]")?.textContent).toBe("cut off: answer limit (64 tokens)");
    expect(full.querySelector("[data-testid=cut-reason]")?.textContent).toBe("cut off: context full");
    expect(natural.querySelector("[data-testid=cut-reason]")).toBeNull();
  });

  it("puts the focus on the message box when Stop goes away", async () => {
    await streamingAnswer();
    const stop = screen.getByTestId("stop");
    stop.focus();
    fireEvent.click(stop);
    await waitFor(() => expect(f.calls.some((c) => c.method === "chat.stop")).toBe(true));
    act(() => f.emit("chat.message", msg({ id: 3, content: "A girl", status: "stopped" })));
    expect(screen.queryByTestId("stop")).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId("chat-input"));
  });

  it("says the question is being read (or the index built) until the first word comes", async () => {
    await streamingAnswer();
    const answer = () => screen.getAllByTestId("message-assistant").at(-1)!;
    expect(answer().textContent).toContain("reading the question…");
    // a conversation grown past full attention: the book's index is built before the first word
    const progress = { documentId: 1, jobId: "j", total: 1, tokensPerSec: 0, etaMs: null };
    act(() => f.emit("doc.progress", { ...progress, phase: "index", done: 0 }));
    expect(answer().textContent).toContain("building the retrieval index…");
    act(() => f.emit("doc.progress", { ...progress, phase: "index", done: 1 }));
    expect(answer().textContent).toContain("reading the question…");
    act(() => f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 0, text: "A girl" }));
    expect(answer().textContent).not.toContain("reading the question");
    expect(answer().textContent).toContain("A girl");
  });

  it("Stop waits while the connection is down (a click would go nowhere)", async () => {
    await streamingAnswer();
    act(() => s().setConnection("open"));
    act(() => s().setConnection("closed"));
    const stop = screen.getByTestId("stop");
    expect(stop.getAttribute("aria-disabled")).toBe("true");
    fireEvent.click(stop);
    await act(async () => {});
    expect(f.calls.some((c) => c.method === "chat.stop")).toBe(false);
    act(() => s().setConnection("open"));
    fireEvent.click(screen.getByTestId("stop"));
    await waitFor(() => expect(f.calls.some((c) => c.method === "chat.stop")).toBe(true));
  });

  it("from another conversation, says which one is answering and stops it", async () => {
    await streamingAnswer();
    await act(() => s().openConversation(2));
    expect(screen.queryByTestId("stop")).toBeNull();
    expect((screen.getByTestId("send") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("send-waits").textContent).toMatch(/an answer is being written in “Who is Alice\?”/);
    fireEvent.click(screen.getByTestId("stop-elsewhere"));
    await waitFor(() => expect(f.calls.find((c) => c.method === "chat.stop")?.params).toEqual({ conversationId: 1 }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("chat-input"))); // not lost with the button
    act(() => f.emit("chat.message", msg({ id: 3, conversationId: 1, content: "A girl", status: "stopped" })));
    act(() => f.emit("engine.status", engine));
    expect(screen.queryByTestId("send-waits")).toBeNull();
  });

  it("learns of an answer in another conversation from its deltas (after a reload)", async () => {
    await start();
    act(() => f.emit("engine.status", { ...engine, activity: "answering" }));
    act(() => f.emit("chat.delta", { conversationId: 2, messageId: 9, offset: 0, text: "Off" }));
    expect(screen.getByTestId("send-waits").textContent).toMatch(/in “The Queen”/);
  });

  it("does not send on the Enter that ends an input method's composition", async () => {
    await start();
    const input = screen.getByTestId("chat-input");
    fireEvent.change(input, { target: { value: "にほんご" } });
    fireEvent.keyDown(input, { key: "Enter", isComposing: true });
    fireEvent.keyDown(input, { key: "Enter", keyCode: 229 }); // Safari, just after compositionend
    await act(async () => {});
    expect(f.calls.some((c) => c.method === "chat.send")).toBe(false);
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(f.calls.some((c) => c.method === "chat.send")).toBe(true));
  });
});

describe("notices", () => {
  it("close with a labelled button; notes expire, errors stay; a repeat is counted, not stacked", async () => {
    await start();
    vi.useFakeTimers();
    act(() => {
      s().notify("error", "The disk is full");
      s().notify("info", "Saved");
    });
    const [error, info] = screen.getAllByTestId("notice");
    expect(error.getAttribute("role")).toBe("alert");
    expect(info.getAttribute("role")).toBe("status");
    act(() => vi.advanceTimersByTime(INFO_MS + 10));
    expect(screen.getAllByTestId("notice").map((n) => n.textContent)).toEqual([expect.stringContaining("The disk is full")]);
    act(() => s().notify("error", "The disk is full"));
    expect(screen.getAllByTestId("notice")).toHaveLength(1);
    expect(screen.getByTestId("notice").textContent).toContain("(×2)");
    act(() => s().notify("error", "Could not open 'bad.pdf'"));
    // closed from the keyboard: the focus moves on to the next notice, then to the question box
    const [first, second] = screen.getAllByRole("button", { name: "Close this notice" });
    first.focus();
    fireEvent.click(first);
    expect(document.activeElement).toBe(second);
    fireEvent.click(second);
    expect(screen.queryByTestId("notice")).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId("chat-input"));
  });

  it("a note under the pointer does not expire", async () => {
    await start();
    vi.useFakeTimers();
    act(() => s().notify("info", "Saved"));
    fireEvent.mouseEnter(screen.getByTestId("notice"));
    act(() => vi.advanceTimersByTime(INFO_MS * 3));
    expect(screen.getByTestId("notice")).toBeTruthy();
    fireEvent.mouseLeave(screen.getByTestId("notice"));
    act(() => vi.advanceTimersByTime(INFO_MS + 10));
    expect(screen.queryByTestId("notice")).toBeNull();
  });

  it("keeps the lost connection's banner up through the retries, then says what else may be wrong", async () => {
    await start();
    vi.useFakeTimers();
    act(() => s().setConnection("open"));
    expect(screen.queryByTestId("connection-lost")).toBeNull();
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "Who is Alice?" } });
    expect((screen.getByTestId("send") as HTMLButtonElement).disabled).toBe(false);
    act(() => s().setConnection("closed"));
    act(() => s().setConnection("connecting")); // a retry: still lost
    expect(screen.getByTestId("connection-lost").textContent).toBe("Connection to tome lost; reconnecting…");
    expect((screen.getByTestId("send") as HTMLButtonElement).disabled).toBe(true); // nowhere to send it
    act(() => vi.advanceTimersByTime(LOST_LONG_MS + 10));
    act(() => s().setConnection("closed"));
    expect(screen.getByTestId("connection-lost").textContent).toMatch(/is tome running\? Started again the same way, it is found by itself; started on another port or with another data folder, open the address it printed/);
    act(() => s().setConnection("open"));
    expect(screen.queryByTestId("connection-lost")).toBeNull();
  });

  it("says a lost connection once, and reads a contract refusal as a sentence", async () => {
    await start();
    act(() => s().setConnection("open"));
    act(() => s().setConnection("closed"));
    act(() => s().notify("error", "connection to tome lost"));
    expect(screen.getAllByText(/connection to tome lost/i)).toHaveLength(1);
    expect(screen.queryByTestId("notice")).toBeNull();
    act(() => s().notify("error", "params.text: must have at most 100000 characters (got 100001)"));
    expect(screen.getByTestId("notice").textContent).toMatch(/^Text must have at most 100000 characters/);
  });
});

describe("keyboard and screen readers", () => {
  const answered = [msg({ id: 2, role: "user", content: "Who?" }), msg({ id: 3, content: "A girl.", status: "done" })];

  it("Regenerate, pressed from the keyboard, hands the focus to Stop, and Stop to the question box", async () => {
    await start({
      "chat.messages": () => answered,
      "chat.regenerate": () => ({ assistant: msg({ id: 4, status: "streaming" }) }),
    });
    await act(() => s().openConversation(1));
    const regenerate = screen.getByTestId("regenerate");
    regenerate.focus();
    fireEvent.click(regenerate);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("stop")));
    act(() => f.emit("chat.message", msg({ id: 4, content: "A girl again.", status: "done" })));
    expect(document.activeElement).toBe(screen.getByTestId("chat-input"));
  });

  it("Read, pressed from the keyboard, hands the focus to Cancel, and Cancel to the question box when the read ends", async () => {
    await start({ "library.list": () => [doc({ state: "new" })], "library.read": () => ({ jobId: "j1" }) });
    const read = screen.getByTestId("read-doc");
    read.focus();
    fireEvent.click(read);
    act(() => f.emit("doc.updated", doc({ state: "reading" })));
    expect(document.activeElement?.textContent).toBe("Cancel");
    // taken: it says so and keeps the focus (a disabled button would drop it)
    const job = { id: "j1", kind: "read" as const, documentId: 1, conversationId: null, cancelling: true, eval: null };
    act(() => f.emit("engine.status", { ...engine, activity: "reading", job }));
    expect(document.activeElement?.textContent).toBe("cancelling…");
    expect(document.activeElement?.getAttribute("aria-disabled")).toBe("true");
    act(() => f.emit("doc.updated", doc({ state: "ready" })));
    expect(document.activeElement).toBe(screen.getByTestId("chat-input"));
  });

  it("marks the selected book and conversation, names the messages, and waits for a whole answer", async () => {
    await start({ "chat.messages": () => answered });
    await act(() => s().openConversation(1));
    expect(screen.getByRole("button", { current: true, name: /^Alice txt/ })).toBeTruthy();
    expect(screen.getByRole("button", { current: true, name: "Who is Alice?" })).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Conversations" })).toBeTruthy();
    expect(screen.getByRole("article", { name: "Answer" }).textContent).toContain("A girl.");
    expect(screen.getByRole("article", { name: "Your question" }).textContent).toContain("Who?");
    const log = screen.getByRole("log", { name: "Conversation" });
    expect(log.getAttribute("aria-busy")).toBe("false");
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "And?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(log.getAttribute("aria-busy")).toBe("true"));
  });

  it("names the book an answer elsewhere is about, and shows it there", async () => {
    const moby = doc({ id: 2, title: "Moby-Dick" });
    const mobyChats = [{ id: 9, documentId: 2, title: "Who is Ahab?", systemPrompt: "", createdAt: 3, updatedAt: 3 }];
    await start({
      "library.list": () => [doc(), moby],
      "chat.list": ({ documentId }) => (documentId === 2 ? mobyChats : conversations),
    });
    const job = { id: "a1", kind: "answer" as const, documentId: 2, conversationId: 9, cancelling: false, eval: null };
    act(() => f.emit("engine.status", { ...engine, activity: "answering", job }));
    act(() => f.emit("chat.delta", { conversationId: 9, messageId: 30, offset: 0, text: "A captain" }));
    expect(screen.getByTestId("send-waits").textContent).toMatch(/in a conversation about “Moby-Dick”/);
    fireEvent.click(within(screen.getByTestId("send-waits")).getByText("Show it"));
    await waitFor(() => expect(s().selectedDocId).toBe(2));
    await waitFor(() => expect(s().conversationId).toBe(9));
  });

  it("does not offer to delete the conversation an answer is being written in", async () => {
    await start();
    await act(() => s().openConversation(1));
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "Who is Alice?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(screen.getByTestId("stop")).toBeTruthy());
    const [answering, other] = screen.getAllByTestId("remove-conversation") as HTMLButtonElement[];
    expect(answering.disabled).toBe(true);
    expect(answering.title).toMatch(/stop the answer/);
    expect(other.disabled).toBe(false);
  });
});
