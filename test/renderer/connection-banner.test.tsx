// @vitest-environment happy-dom
// The lost connection's banner takes a row of the layout under the top bar: it
// pushes the columns down instead of lying over the model bar and the engine's
// state, is read right after the top bar, and is still announced (role=alert).
// The app's stylesheet is loaded into the page so the computed styles are the
// real ones; the pixel check at 800x600 needs a browser (test/e2e).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, render, screen } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { resetStore, useStore } from "../../renderer/src/store";
import { connect, fakeApi } from "./fake-api";
import { app, doc, engine, settings } from "./fixtures";

const css = fs.readFileSync(path.resolve(__dirname, "..", "..", "renderer", "src", "styles.css"), "utf8");
let disconnect: () => void;
let style: HTMLStyleElement;
const s = () => useStore.getState();

beforeEach(async () => {
  resetStore();
  style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);
  const f = fakeApi({
    "app.info": () => app,
    "engine.status": () => engine,
    "settings.get": () => settings,
    "models.list": () => [],
    "library.list": () => [doc()],
    "library.text": ({ start = 0, end = 100 }) => ({ documentId: 1, start, end, text: "x".repeat(end - start) }),
    "chat.list": () => [],
    "chat.messages": () => [],
  });
  disconnect = connect(f);
  await s().init();
  render(<App />);
  act(() => s().setConnection("open"));
});
afterEach(() => {
  disconnect();
  style.remove();
});

/** The grid row an element starts in ("2" of "2 / auto"; happy-dom computes the shorthand only). */
const row = (el: Element) => getComputedStyle(el).gridRow.split("/")[0].trim();

describe("connection lost banner", () => {
  it("sits in the layout's flow under the top bar, not over the engine's state", () => {
    expect(screen.queryByTestId("connection-lost")).toBeNull();
    act(() => s().setConnection("closed"));
    const banner = screen.getByTestId("connection-lost");
    expect(banner.getAttribute("role")).toBe("alert"); // still announced
    const topbar = document.querySelector(".topbar")!;
    const appEl = document.querySelector(".app")!;
    // a child of the grid, read right after the top bar (and before the columns)
    expect(banner.parentElement).toBe(appEl);
    expect(topbar.nextElementSibling).toBe(banner);
    expect(topbar.contains(screen.getByTestId("engine-state"))).toBe(true);
    // in the flow: not laid over the page
    const cs = getComputedStyle(banner);
    expect(["fixed", "absolute", "sticky"]).not.toContain(cs.position);
    expect(cs.transform === "" || cs.transform === "none").toBe(true);
    // a row of its own between the top bar and the columns, across all of them
    expect(getComputedStyle(appEl).gridTemplateRows.split(/\s+(?![^(]*\))/)).toHaveLength(3);
    expect(row(topbar)).toBe("1");
    expect(row(banner)).toBe("2");
    expect(cs.gridColumn.replace(/\s/g, "")).toBe("1/-1");
    for (const sel of [".library", ".chat", ".side"]) expect(row(document.querySelector(sel)!)).toBe("3");
  });

  it("leaves the columns in their row in the Evaluate view too, and goes when the connection is back", () => {
    act(() => s().setView("evaluate"));
    act(() => s().setConnection("closed"));
    expect(row(screen.getByTestId("connection-lost"))).toBe("2");
    expect(row(screen.getByTestId("evaluate-view"))).toBe("3");
    act(() => s().setConnection("open"));
    expect(screen.queryByTestId("connection-lost")).toBeNull();
  });
});
