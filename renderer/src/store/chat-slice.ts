// Conversations of the selected document and the messages of the open one;
// streaming text arrives as deltas and is appended in place. Which conversation
// is answering is tracked across all of them (only one answer runs at a time).
import type { ConversationInfo, MessageInfo } from "../../../main/ipc/contract";
import { api, messageOf } from "./api";
import type { Slice } from "./types";

export interface ChatSlice {
  conversations: ConversationInfo[];
  conversationId: number | null;
  messages: MessageInfo[];
  /** The answer being written, in whichever conversation (null: none known). */
  answering: { conversationId: number; messageId: number } | null;
  loadConversations(documentId: number | null): Promise<void>;
  openConversation(id: number | null): Promise<void>;
  newConversation(): Promise<number | null>;
  send(text: string): Promise<boolean>;
  /** Stops the answer of that conversation (by default the open one). */
  stop(conversationId?: number): Promise<void>;
  regenerate(): Promise<void>;
  setSystemPrompt(text: string): Promise<void>;
  removeConversation(id: number): Promise<void>;
  messageUpdated(m: MessageInfo): void;
  appendDelta(conversationId: number, messageId: number, text: string): void;
  streaming(): boolean;
}

export const chatSlice: Slice<ChatSlice> = (set, get) => ({
  conversations: [],
  conversationId: null,
  messages: [],
  answering: null,

  loadConversations: async (documentId) => {
    if (documentId === null) return set({ conversations: [], conversationId: null, messages: [] });
    let conversations: ConversationInfo[];
    try {
      conversations = await api()["chat.list"]({ documentId });
    } catch (e) {
      if (get().selectedDocId === documentId) get().notify("error", `Could not list the conversations: ${messageOf(e)}`);
      return;
    }
    // Another book selected meanwhile: its own list is (or will be) shown, not this one.
    if (get().selectedDocId !== documentId) return;
    set({ conversations });
    await get().openConversation(conversations[0]?.id ?? null);
  },

  openConversation: async (id) => {
    set({ conversationId: id, messages: [] });
    if (id === null) return;
    const messages = await api()["chat.messages"]({ conversationId: id });
    if (get().conversationId === id) set({ messages });
  },

  newConversation: async () => {
    const documentId = get().selectedDocId;
    if (documentId === null) return null;
    const c = await api()["chat.create"]({ documentId });
    set((s) => ({ conversations: [c, ...s.conversations], conversationId: c.id, messages: [] }));
    return c.id;
  },

  send: async (text) => {
    const t = text.trim();
    if (!t) return false;
    try {
      const id = get().conversationId ?? (await get().newConversation());
      if (id === null) {
        get().notify("error", "Drop a book first, then ask about it.");
        return false;
      }
      const { user, assistant } = await api()["chat.send"]({ conversationId: id, text: t });
      get().messageUpdated(user);
      get().messageUpdated(assistant);
      get().startAnswer(assistant.id);
      // The title may have changed (first question): refresh the list quietly.
      const documentId = get().selectedDocId;
      if (documentId !== null) api()["chat.list"]({ documentId }).then((conversations) => set({ conversations }), () => {});
      return true;
    } catch (e) {
      get().notify("error", messageOf(e));
      return false;
    }
  },

  stop: async (conversationId) => {
    const id = conversationId ?? get().conversationId;
    if (id !== null) await api()["chat.stop"]({ conversationId: id }).catch((e) => get().notify("error", messageOf(e)));
  },

  regenerate: async () => {
    const id = get().conversationId;
    if (id === null) return;
    try {
      const { assistant } = await api()["chat.regenerate"]({ conversationId: id });
      set((s) => ({ messages: s.messages.filter((m) => !(m.role === "assistant" && m.id !== assistant.id && m === s.messages[s.messages.length - 1])) }));
      get().messageUpdated(assistant);
      get().startAnswer(assistant.id);
    } catch (e) {
      get().notify("error", messageOf(e));
    }
  },

  setSystemPrompt: async (systemPrompt) => {
    const id = get().conversationId;
    if (id === null) return;
    try {
      const c = await api()["chat.setSystemPrompt"]({ conversationId: id, systemPrompt });
      set((s) => ({ conversations: s.conversations.map((x) => (x.id === c.id ? c : x)) }));
    } catch (e) {
      get().notify("error", messageOf(e));
    }
  },

  removeConversation: async (id) => {
    try {
      await api()["chat.remove"]({ conversationId: id });
      set((s) => ({ conversations: s.conversations.filter((c) => c.id !== id) }));
      if (get().conversationId === id) await get().openConversation(get().conversations[0]?.id ?? null);
    } catch (e) {
      get().notify("error", messageOf(e));
    }
  },

  messageUpdated: (m) =>
    set((s) => {
      const answering =
        m.role === "assistant" && m.status === "streaming"
          ? { conversationId: m.conversationId, messageId: m.id }
          : s.answering?.messageId === m.id
            ? null
            : s.answering;
      if (m.conversationId !== s.conversationId) return { answering };
      const i = s.messages.findIndex((x) => x.id === m.id);
      // A finished message replaces the streamed copy (its text is the exact final one).
      const messages = i >= 0 ? s.messages.map((x) => (x.id === m.id ? m : x)) : [...s.messages, m].sort((a, b) => a.id - b.id);
      return { messages, answering };
    }),

  appendDelta: (conversationId, messageId, text) =>
    set((s) => {
      // After a reload mid-answer, the deltas are the first news of which conversation answers.
      const answering = s.answering?.messageId === messageId ? s.answering : { conversationId, messageId };
      if (conversationId !== s.conversationId) return answering === s.answering ? {} : { answering };
      return { answering, messages: s.messages.map((m) => (m.id === messageId ? { ...m, content: m.content + text } : m)) };
    }),

  streaming: () => get().messages.some((m) => m.status === "streaming"),
});
