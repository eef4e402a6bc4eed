// @vitest-environment happy-dom
// An answer's text while it streams, across what a person does meanwhile: another
// conversation or book opened, a page reload, deltas missed. Whatever the order in
// which the deltas and the server's copy arrive, the text shown is a prefix of the
// final text, and none of it is lost.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bindEvents, resetStore, useStore } from "../../renderer/src/store";
import { setApi } from "../../renderer/src/store/api";
import { join, knownText, withDelta } from "../../renderer/src/store/stream-text";
import type { ConversationInfo, MessageInfo } from "../../main/ipc/contract";
import { fakeApi, type FakeApi } from "./fake-api";
import { app, doc, engine, msg, settings } from "./fixtures";

const FINAL = "She had a crab named Jack. She loved to play with her. One day she asked her to help her mommy.";
const conv = (id: number): ConversationInfo => ({ id, documentId: 1, title: `c${id}`, systemPrompt: "", createdAt: 1, updatedAt: 1 });

let f: FakeApi;
let unbind: () => void;
/** What the server has written of the answer (message 7 in conversation 2) when chat.messages answers. */
let written: number;
/** chat.messages for conversation 2 waits for this when set. */
let hold: Promise<void> | null;
const s = () => useStore.getState();
const answer = () => s().messages.find((m) => m.id === 7)?.content;
/** The server writes up to `end`: one delta per call. */
function write(end: number) {
  f.emit("chat.delta", { conversationId: 2, messageId: 7, offset: written, text: FINAL.slice(written, end) });
  written = end;
}

beforeEach(() => {
  resetStore();
  written = 0;
  hold = null;
  f = fakeApi({
    "app.info": () => app,
    "engine.status": () => ({ ...engine, activity: "answering" }),
    "settings.get": () => settings,
    "models.list": () => [],
    "library.list": () => [doc()],
    "chat.list": () => [conv(1), conv(2)],
    "chat.messages": async ({ conversationId }) => {
      if (conversationId !== 2) return [msg({ id: 5, conversationId, role: "user", content: "Hi" })];
      const live = FINAL.slice(0, written); // the server's text at the time it answers
      if (hold) await hold;
      return [msg({ id: 6, conversationId: 2, role: "user", content: "Who?" }), msg({ id: 7, conversationId: 2, content: live, status: "streaming" })];
    },
  });
  setApi(f.api);
  unbind = bindEvents(f.api);
});
afterEach(() => unbind());

describe("a streaming answer's text", () => {
  it("joins pieces that touch or overlap, and tells a gap", () => {
    expect(join({ start: 0, text: "She had" }, { start: 4, text: "had a crab" })).toEqual({ start: 0, text: "She had a crab" });
    expect(join({ start: 0, text: "She had a crab" }, { start: 4, text: "had" })).toEqual({ start: 0, text: "She had a crab" });
    expect(join({ start: 0, text: "She" }, { start: 3, text: " had" })).toEqual({ start: 0, text: "She had" });
    expect(join({ start: 0, text: "She" }, { start: 5, text: "ad" })).toBeNull();
    // a delta seen twice changes nothing; one after a gap starts the kept deltas again
    const once = withDelta(withDelta(null, 7, 0, "She "), 7, 4, "had");
    expect(withDelta(once, 7, 4, "had")).toEqual(once);
    expect(withDelta(once, 7, 10, "crab")).toEqual({ messageId: 7, start: 10, text: "crab" });
    expect(knownText(msg({ id: 7, content: "She" }), undefined, withDelta(null, 7, 9, " crab"))).toEqual({ text: "She", gap: true });
  });

  it("keeps the deltas that arrive while the conversation loads, and those from before", async () => {
    await s().init();
    expect(s().conversationId).toBe(1);
    write(10); // "She had a " while another conversation is open
    write(20);
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    const opening = s().openConversation(2); // the server answers with 20 characters ...
    write(26); // ... and writes on while the answer travels
    write(40);
    release();
    await opening;
    expect(answer()).toBe(FINAL.slice(0, 40));
    write(60);
    expect(answer()).toBe(FINAL.slice(0, 60));
    f.emit("chat.message", msg({ id: 7, conversationId: 2, content: FINAL, status: "done" }));
    expect(answer()).toBe(FINAL);
    expect(s().streamed).toBeNull();
  });

  it("keeps the text after a switch to another book and back while it streams", async () => {
    await s().init();
    await s().openConversation(2);
    write(15);
    const away = s().selectDocument(2); // another book: its conversations (none here but the fake's)
    write(30);
    await away;
    write(45);
    await s().selectDocument(1);
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    const back = s().openConversation(2);
    write(50); // while the conversation loads
    release();
    await back;
    expect(answer()).toBe(FINAL.slice(0, 50));
    write(55);
    expect(answer()).toBe(FINAL.slice(0, 55));
  });

  it("after a reload, joins the deltas that came before the page had the conversation", async () => {
    written = 33; // the answer was under way before this page loaded
    f.emit("engine.status", { ...engine, activity: "answering" });
    write(41); // before init: no conversation open yet
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    const starting = s().init().then(() => s().openConversation(2));
    await new Promise((r) => setTimeout(r, 0));
    release();
    write(47);
    await starting;
    expect(answer()).toBe(FINAL.slice(0, 47));
  });

  it("shows only a prefix of the final text, and fetches the text again when deltas were missed", async () => {
    await s().init();
    await s().openConversation(2);
    write(10);
    written = 30; // deltas from 10 to 30 never arrive (a connection that dropped them)
    const fetches = () => f.calls.filter((c) => c.method === "chat.messages" && (c.params as { conversationId: number }).conversationId === 2).length;
    const before = fetches();
    write(36);
    expect(FINAL.startsWith(answer()!)).toBe(true); // the hole is not papered over
    expect(answer()).toBe(FINAL.slice(0, 10));
    expect(fetches()).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 0));
    expect(answer()).toBe(FINAL.slice(0, 36));
  });

  it("a late copy of the streaming answer does not undo the final one", async () => {
    await s().init();
    await s().openConversation(2);
    write(20);
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    const reloading = s().reloadMessages(2);
    f.emit("chat.message", msg({ id: 7, conversationId: 2, content: FINAL, status: "done" }));
    release();
    await reloading;
    expect(s().messages.find((m) => m.id === 7)).toMatchObject({ content: FINAL, status: "done" });
  });
});
