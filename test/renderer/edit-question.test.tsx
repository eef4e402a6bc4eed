// @vitest-environment happy-dom
// Editing the last question: Edit takes it (and its passage) back to the question box,
// Send replaces it and its answer (chat.send's replaceLast), Cancel leaves all as it was.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { resetStore, useStore } from "../../renderer/src/store";
import type { MessageInfo, Params } from "../../main/ipc/contract";
import { connect, fakeApi, type FakeApi } from "./fake-api";
import { msg, oneBookChat } from "./fixtures";

const BOOK = "Alice was beginning to get very tired. ".repeat(130);

let f: FakeApi;
let disconnect: () => void;
let sent: Params<"chat.send">[];
let messages: MessageInfo[];

beforeEach(async () => {
  resetStore();
  sent = [];
  messages = [
    msg({ id: 11, role: "user", content: "Who is Alice?" }),
    msg({ id: 12, content: "A girl." }),
    msg({ id: 13, role: "user", content: "Wher does she go?", passage: { start: 0, end: 5, text: "Alice" } }),
    msg({ id: 14, content: "Down." }),
  ];
  f = fakeApi(oneBookChat(BOOK, () => messages, sent));
  disconnect = connect(f);
  await useStore.getState().init();
});
afterEach(() => disconnect());

const questions = () => screen.getAllByTestId("message-user").map((m) => m.querySelector(".content")!.textContent);

describe("editing the last question", () => {
  it("Edit puts it and its passage in the question box; Send replaces it and its answer", async () => {
    render(<App />);
    await waitFor(() => expect(questions()).toEqual(["Who is Alice?", "Wher does she go?"]));
    // only the last question can be edited
    expect(screen.getAllByTestId("edit-question")).toHaveLength(1);
    fireEvent.click(within(screen.getAllByTestId("message-user")[1]).getByTestId("edit-question"));
    const input = screen.getByTestId("chat-input") as HTMLTextAreaElement;
    expect(input.value).toBe("Wher does she go?");
    expect(document.activeElement).toBe(input);
    expect(screen.getByTestId("editing-note").textContent).toMatch(/Send replaces it and its answer/);
    expect(screen.getByTestId("quote-chip").textContent).toContain("“Alice”");
    expect(screen.queryByTestId("edit-question")).toBeNull(); // one edit at a time
    fireEvent.change(input, { target: { value: "Where does she go?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(sent).toEqual([{ conversationId: 1, text: "Where does she go?", passage: { start: 0, end: 5 }, replaceLast: true }]));
    await waitFor(() => expect(questions()).toEqual(["Who is Alice?", "Where does she go?"]));
    expect(screen.queryByText("Down.")).toBeNull();
    expect(screen.queryByTestId("editing-note")).toBeNull();
    expect(screen.queryByTestId("quote-chip")).toBeNull();
  });

  it("Cancel leaves the conversation as it was: the next question is a new one", async () => {
    render(<App />);
    await waitFor(() => expect(questions()).toHaveLength(2));
    fireEvent.click(screen.getByTestId("edit-question"));
    fireEvent.click(within(screen.getByTestId("editing-note")).getByText("Cancel"));
    expect(screen.queryByTestId("editing-note")).toBeNull();
    expect(screen.queryByTestId("quote-chip")).toBeNull();
    expect((screen.getByTestId("chat-input") as HTMLTextAreaElement).value).toBe("");
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "And then?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(sent).toEqual([{ conversationId: 1, text: "And then?" }]));
    await waitFor(() => expect(questions()).toEqual(["Who is Alice?", "Wher does she go?", "And then?"]));
  });
});
