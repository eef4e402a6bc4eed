// Every incoming message is validated: malformed envelopes and params, unknown
// fields, path traversal in file names, huge files. Each is refused with a clear
// BAD_REQUEST / BAD_NAME / TOO_LARGE and nothing in the library changes.
import { afterEach, describe, expect, it } from "vitest";
import { METHOD_NAMES, LIMITS, validateParams, validateRequest } from "../../main/ipc/validate";
import { toContractError } from "../../main/ipc/errors";
import { b64, makeCore, type TestCore } from "./helpers/core";
import type { Method } from "../../main/ipc/contract";

let t: TestCore;
afterEach(() => t?.close());

const refuse = (msg: unknown) => {
  try {
    validateRequest(msg);
  } catch (e) {
    return toContractError(e);
  }
  throw new Error("accepted: " + JSON.stringify(msg));
};

describe("envelope", () => {
  it("refuses malformed requests with the offending path in the message", () => {
    expect(refuse(null).message).toMatch(/expected an object/);
    expect(refuse([]).message).toMatch(/expected an object/);
    expect(refuse({ method: "app.info", params: {} }).message).toMatch(/^id: expected an integer/);
    expect(refuse({ id: 1.5, method: "app.info", params: {} }).message).toMatch(/^id:/);
    expect(refuse({ id: 1, method: "nope", params: {} }).message).toMatch(/unknown method "nope"/);
    expect(refuse({ id: 1, method: "__proto__", params: {} }).message).toMatch(/unknown method/);
    expect(refuse({ id: 1, method: "toString", params: {} }).message).toMatch(/unknown method/);
    // a method that is not a string is named by its type: String() of a deeply nested array
    // overflowed the stack and the answer was INTERNAL "Maximum call stack size exceeded"
    const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000));
    expect(refuse({ id: 1, method: deep, params: {} })).toEqual({ code: "BAD_REQUEST", message: "method: expected a string, got an array" });
    expect(refuse({ id: 1, params: {} })).toEqual({ code: "BAD_REQUEST", message: "method: expected a string, got undefined" });
    expect(refuse({ id: 1, method: "x".repeat(1000), params: {} }).message.length).toBeLessThan(120);
    expect(refuse({ id: 1, method: "app.info", params: {}, extra: 1 }).message).toMatch(/message.extra: unknown field/);
    expect(refuse({ id: 1, method: "library.remove", params: {} }).message).toBe("params.documentId: expected an integer, got undefined");
    expect(refuse({ id: 1, method: "library.remove", params: { documentId: "1" } }).message).toMatch(/expected an integer, got a string/);
    expect(refuse({ id: 1, method: "library.remove", params: { documentId: 0 } }).message).toMatch(/must be in/);
    expect(refuse({ id: 1, method: "library.remove", params: { documentId: 1, x: 2 } }).message).toBe("params.x: unknown field");
    // names every object inherits are no fields either (`in` found them on the prototype)
    expect(refuse({ id: 1, method: "library.remove", params: { documentId: 1, constructor: 2 } }).message).toBe("params.constructor: unknown field");
    expect(refuse(JSON.parse('{"id":1,"method":"library.remove","params":{"documentId":1,"__proto__":{}}}')).message).toBe("params.__proto__: unknown field");
    expect(refuse({ id: 1, method: "chat.send", params: { conversationId: 1, text: "" } }).message).toMatch(/at least 1/);
    expect(refuse({ id: 1, method: "chat.send", params: { conversationId: 1, text: "q", passage: { start: 0 } } }).message).toBe("params.passage.end: expected an integer, got undefined");
    expect(refuse({ id: 1, method: "chat.send", params: { conversationId: 1, text: "q", passage: { start: 0, end: 2, text: "forged" } } }).message).toBe("params.passage.text: unknown field");
    expect(refuse({ id: 1, method: "settings.set", params: { attention: { mode: "magic", sinks: 1, window: 1, topK: 1 } } }).message).toMatch(/expected one of full, retrieval/);
    expect(refuse({ id: 1, method: "settings.set", params: { temperature: Infinity } }).message).toMatch(/finite number/);
    expect(refuse({ id: 1, method: "models.load", params: { path: "a\0b.gguf" } }).message).toMatch(/NUL/);
    for (const e of [refuse(null), refuse({ id: 1, method: "x" })]) expect(e.code).toBe("BAD_REQUEST");
  });

  it("accepts every method's minimal valid params", () => {
    const samples: Partial<Record<Method, unknown>> = {
      "settings.set": { threads: 2 },
      "models.inspect": { path: "/m.gguf" },
      "models.load": { path: "/m.gguf" },
      "library.import": { name: "a.txt", dataBase64: "aGk=" },
      "library.cancelImport": { importId: "import-1" },
      "library.remove": { documentId: 1 },
      "library.text": { documentId: 1, start: 0, end: 10 },
      "library.find": { documentId: 1, query: "rabbit" },
      "library.findAll": { query: "rabbit" },
      "library.read": { documentId: 1 },
      "library.cancel": { jobId: "0b6e-12" },
      "chat.list": { documentId: 1 },
      "chat.create": { documentId: 1 },
      "chat.messages": { conversationId: 1 },
      "chat.setSystemPrompt": { conversationId: 1, systemPrompt: "" },
      "chat.rename": { conversationId: 1, title: "A name" },
      "chat.send": { conversationId: 1, text: "hi", passage: { start: 0, end: 2 }, replaceLast: true },
      "chat.regenerate": { conversationId: 1 },
      "chat.stop": { conversationId: 1 },
      "chat.remove": { conversationId: 1 },
      "eval.run": { tasks: ["passkey"], lengths: [1024], depths: [50], modes: ["full", "retrieval"], samples: 1 },
      "eval.cancel": { jobId: "e1" },
    };
    for (const m of METHOD_NAMES) expect(() => validateParams(m, samples[m] ?? {})).not.toThrow();
  });

  it("takes a read to cancel by its job or by its book, one of the two", () => {
    expect(validateParams("library.cancel", { documentId: 3 })).toEqual({ documentId: 3 });
    expect(validateParams("library.cancel", { jobId: "0b6e-12" })).toEqual({ jobId: "0b6e-12" });
    expect(() => validateParams("library.cancel", { documentId: 0 })).toThrow(/documentId/);
    expect(() => validateParams("library.cancel", { documentId: 3, jobId: "j" })).toThrow(/jobId: unknown field/);
    expect(() => validateParams("library.cancel", {})).toThrow(/jobId: expected a string/);
  });
});

describe("file names and sizes", () => {
  const names = ["../x.txt", "..\\x.txt", "/etc/passwd", "a/b.txt", "C:\\x.txt", ".hidden.txt", "a..txt", "x\0.txt", "x\n.txt", "", "a".repeat(300) + ".txt", "con:.txt"];
  it.each(names)("refuses the file name %j", (name) => {
    expect(refuse({ id: 1, method: "library.import", params: { name, dataBase64: "" } }).code).toBe("BAD_REQUEST");
  });
  it("refuses an import id that is not one", () => {
    for (const importId of ["", "a b", "../x", "x".repeat(65), 7])
      expect(refuse({ id: 1, method: "library.import", params: { name: "a.txt", dataBase64: "aGk=", importId } }).message).toMatch(/params.importId/);
    expect(refuse({ id: 1, method: "library.cancelImport", params: {} }).message).toMatch(/params.importId/);
  });
  it("refuses non-base64 data and data over the size limit", () => {
    expect(refuse({ id: 1, method: "library.import", params: { name: "a.txt", dataBase64: "<<<>>>" } }).message).toMatch(/base64/);
    const huge = "A".repeat(Math.ceil(LIMITS.maxImportBytes / 3) * 4 + 4);
    expect(refuse({ id: 1, method: "library.import", params: { name: "a.txt", dataBase64: huge } }).message).toMatch(/at most/);
  });
});

describe("through the core: nothing changes on bad input", () => {
  it("bad files and bad calls leave the library as it was", async () => {
    t = makeCore();
    await t.core.call("library.import", { name: "good.txt", dataBase64: b64("A good small book.") });
    const before = JSON.stringify(await t.core.call("library.list", {}));
    const bad: [string, unknown][] = [
      ["library.import", { name: "../../evil.txt", dataBase64: b64("x") }],
      ["library.import", { name: "empty.txt", dataBase64: "" }],
      ["library.import", { name: "bin.txt", dataBase64: b64(Buffer.from([0, 1, 2, 3, 0, 0])) }],
      ["library.import", { name: "a.pages", dataBase64: b64("PK\u0003\u0004") }],
      ["library.import", { name: "a.docx", dataBase64: b64("PK\u0003\u0004") }],
      ["library.import", { name: "broken.epub", dataBase64: b64("PK\u0003\u0004garbage") }],
      ["library.import", { name: "broken.pdf", dataBase64: b64("%PDF-1.7 nothing") }],
      ["library.remove", { documentId: 999 }],
      ["library.text", { documentId: 999 }],
      ["chat.create", { documentId: 999 }],
      ["chat.send", { conversationId: 999, text: "hi" }],
      ["settings.set", { threads: -1 }],
      ["nope", {}],
      ["library.list", { sneaky: true }],
    ];
    const codes = [];
    for (const [m, p] of bad) {
      try {
        await t.core.call(m, p);
        codes.push("ok");
      } catch (e) {
        const ce = toContractError(e);
        expect(ce.message.length).toBeGreaterThan(5);
        codes.push(ce.code);
      }
    }
    expect(codes).toEqual([
      "BAD_REQUEST", "EMPTY_FILE", "CORRUPT_FILE", "UNSUPPORTED_FORMAT", "CORRUPT_FILE", "CORRUPT_FILE", "CORRUPT_FILE",
      "ok", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "BAD_REQUEST", "BAD_REQUEST", "BAD_REQUEST",
    ]);
    expect(JSON.stringify(await t.core.call("library.list", {}))).toBe(before);
    expect(t.core.lib.settings.get().threads).toBe(0);
  });

  it("the same book dropped twice is stored once", async () => {
    t = makeCore();
    const a = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64("Same text.") })) as { id: number };
    const b = (await t.core.call("library.import", { name: "b.txt", dataBase64: b64("Same text.") })) as { id: number };
    expect(b.id).toBe(a.id);
    expect(((await t.core.call("library.list", {})) as unknown[]).length).toBe(1);
  });
});
