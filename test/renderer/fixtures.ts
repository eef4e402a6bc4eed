// Typical contract values for renderer tests.
import type { AppInfo, DocumentInfo, EngineStatus, MessageInfo, Params, Settings } from "../../main/ipc/contract";
import type { Handlers } from "./fake-api";
import { BookFinder } from "../../main/app/find-in-book";

export const app: AppInfo = { version: "0.1.0", mode: "browser", platform: "linux", dataDir: "/d", maxImportBytes: 1024 };

export const engine: EngineStatus = {
  model: { path: "/m/tiny.gguf", name: "tiny.gguf", ctx: 2048, nCtxTrain: 2048, hasChatTemplate: false },
  backend: "cpu",
  gpu: null,
  activity: "idle",
  crashed: null,
  stepStats: false,
  job: null,
};

export const settings: Settings = {
  threads: 0,
  ctx: 2048,
  attention: { mode: "full", sinks: 4, window: 1024, topK: 100 },
  ramBudgetMB: 0,
  cacheBudgetGB: 0,
  gpu: true,
  modelsDir: "/m",
  systemPrompt: "Be brief.",
  temperature: 0.7,
  maxTokens: 64,
  skipBoilerplate: true,
  recentModels: [],
  lastModel: null,
};

export function doc(over: Partial<DocumentInfo> = {}): DocumentInfo {
  return {
    id: 1,
    title: "Alice",
    author: "Lewis Carroll",
    sourceName: "alice.txt",
    format: "txt",
    sizeBytes: 100,
    chars: 5000,
    chapters: [
      { title: "CHAPTER I. Down the Rabbit-Hole", start: 0 },
      { title: "CHAPTER II. The Pool of Tears", start: 2500 },
    ],
    boilerplateSkipped: true,
    tokens: 4000,
    tokensUsed: 1500,
    charsUsed: 1800,
    state: "ready",
    error: null,
    createdAt: 1,
    savedFor: null,
    savedTokens: null,
    ...over,
  };
}

export function msg(over: Partial<MessageInfo> = {}): MessageInfo {
  return { id: 1, conversationId: 1, role: "assistant", content: "", status: "done", createdAt: 1, stats: null, highlights: [], passage: null, ...over };
}

/** The contract calls every App start makes (app, engine, settings, the models folder and its one model). */
export function startHandlers(): Handlers {
  return {
    "app.info": () => app,
    "engine.status": () => engine,
    "settings.get": () => settings,
    "models.list": () => [{ path: "/m/tiny.gguf", name: "tiny.gguf", sizeBytes: 10, source: "models-dir" }],
    "models.inspect": ({ path }) => ({
      path,
      name: "tiny.gguf",
      sizeBytes: 10,
      arch: "llama",
      contextLength: 2048,
      hasChatTemplate: false,
      metadata: { "general.architecture": "llama" },
      memory: { ctx: 2048, weightBytes: 1000, kvBytes: 2000, totalBytes: 3000, retrieval: { deviceKvBytes: 100, hostKvBytes: 1900, totalDeviceBytes: 1100, indexBytes: 1300, readQueryBytes: 500 } },
      warning: null,
    }),
  };
}

/**
 * One book (the fixtures' doc(), its text `book`) with one conversation: its messages as
 * `messages()` gives them when fetched, each chat.send pushed on `sent` and answered with the
 * question (its passage's text the book's) and a streaming answer; library.find is the app's own.
 */
export function oneBookChat(book: string, messages: () => MessageInfo[], sent: Params<"chat.send">[]): Handlers {
  const finder = new BookFinder();
  return {
    ...startHandlers(),
    "library.list": () => [doc()],
    "library.text": ({ start = 0, end = book.length }) => ({ documentId: 1, start, end, text: book.slice(start, end) }),
    "library.find": ({ documentId, query, limit }) => finder.find(documentId, () => book, query, limit),
    "chat.list": () => [{ id: 1, documentId: 1, title: "c", systemPrompt: "", createdAt: 1, updatedAt: 1 }],
    "chat.messages": () => messages(),
    "chat.send": (p) => {
      sent.push(p);
      const passage = p.passage ? { ...p.passage, text: book.slice(p.passage.start, p.passage.end) } : null;
      const id = Math.max(1, ...messages().map((m) => m.id)) + 1;
      return { user: msg({ id, role: "user", content: p.text, passage }), assistant: msg({ id: id + 1, status: "streaming" }) };
    },
  };
}
