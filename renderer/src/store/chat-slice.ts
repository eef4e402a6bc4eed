// Conversations of the selected document and the messages of the open one;
// streaming text arrives as deltas, each with its place in the answer, and is
// joined in place (stream-text.ts). Which conversation is answering is tracked
// across all of them (only one answer runs at a time).
import type { ConversationInfo, MessageInfo, QuotedPassage } from "../../../main/ipc/contract";
import { api, messageOf } from "./api";
import { knownText, withDelta, type StreamedText } from "./stream-text";
import type { Slice } from "./types";

export interface ChatSlice {
  conversations: ConversationInfo[];
  conversationId: number | null;
  messages: MessageInfo[];
  /** The answer being written, in whichever conversation (null: none known). */
  answering: { conversationId: number; messageId: number } | null;
  /** The deltas of the answer being written, whichever conversation is open (or loading). */
  streamed: StreamedText | null;
  loadConversations(documentId: number | null): Promise<void>;
  openConversation(id: number | null): Promise<void>;
  newConversation(): Promise<number | null>;
  /** The passage of the book chosen in the reader to ask about (shown over the question box), or null. */
  quote: (QuotedPassage & { documentId: number }) | null;
  setQuote(q: ChatSlice["quote"]): void;
  /** The last question being edited (its text goes to the question box; Send replaces it and its answer), or null. */
  editing: { conversationId: number; messageId: number; text: string } | null;
  /** Starts editing the open conversation's last question (its passage becomes the quote), or stops (null). */
  editQuestion(m: MessageInfo | null): void;
  /** Sends a question, with the chosen passage when it is of the selected book (then cleared). */
  send(text: string): Promise<boolean>;
  /** Stops the answer of that conversation (by default the open one). */
  stop(conversationId?: number): Promise<void>;
  regenerate(): Promise<void>;
  setSystemPrompt(text: string): Promise<void>;
  removeConversation(id: number): Promise<void>;
  /** Names a conversation; false when refused (said in a notice). */
  renameConversation(id: number, title: string): Promise<boolean>;
  /** A conversation made or changed, by this page or another (chat.conversation). */
  conversationUpdated(c: ConversationInfo): void;
  /** A conversation deleted, by this page or another (chat.conversationRemoved). */
  conversationRemoved(id: number): void;
  /** Messages taken out of a conversation (chat.messagesRemoved: an edit, a regenerated answer). */
  messagesRemoved(conversationId: number, ids: number[]): void;
  messageUpdated(m: MessageInfo): void;
  /** `offset`: where `text` starts in the answer (chat.delta). */
  appendDelta(conversationId: number, messageId: number, offset: number, text: string): void;
  /** Fetches the open conversation's messages again (text was missed: a gap in the deltas). */
  reloadMessages(conversationId: number): Promise<void>;
  streaming(): boolean;
}

/** Conversations whose messages are being fetched again after a gap in the deltas. */
const reloading = new Set<number>();

export const chatSlice: Slice<ChatSlice> = (set, get) => {
  /**
   * The conversation's messages from the server, shown if it is still the open one. A streaming
   * answer keeps the longest text known of it (the server's, the copy shown, the deltas), and one
   * that finished meanwhile stays finished: a reply computed before the final message may arrive after it.
   */
  const loadMessages = async (id: number) => {
    const loaded = await api()["chat.messages"]({ conversationId: id });
    let gap = false;
    set((s) => {
      if (s.conversationId !== id) return {};
      const messages = loaded.map((m) => {
        if (m.status !== "streaming") return m;
        const shown = s.messages.find((x) => x.id === m.id);
        if (shown && shown.status !== "streaming") return shown;
        const known = knownText(m, shown?.content, s.streamed);
        gap ||= known.gap;
        return { ...m, content: known.text };
      });
      return { messages };
    });
    // still a gap: the deltas started past the server's text, as when they were missed before it answered
    if (gap) void get().reloadMessages(id);
  };

  return {
    conversations: [],
    conversationId: null,
    messages: [],
    answering: null,
    streamed: null,
    quote: null,
    editing: null,

    setQuote: (quote) => set({ quote }),
    editQuestion: (m) => {
      const documentId = get().selectedDocId;
      // (stopped: the question box keeps what was typed; the passage it brought goes)
      if (!m || documentId === null) return set((s) => ({ editing: null, quote: s.editing ? null : s.quote }));
      set({
        editing: { conversationId: m.conversationId, messageId: m.id, text: m.content },
        quote: m.passage ? { ...m.passage, documentId } : null,
      });
    },

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
      set({ conversationId: id, messages: [], editing: null });
      if (id !== null) await loadMessages(id);
    },

    reloadMessages: async (id) => {
      if (reloading.has(id)) return; // one at a time: the deltas meanwhile join what it brings
      reloading.add(id);
      try {
        await loadMessages(id);
      } catch {
        // the next gap asks again; the final message brings the whole text anyway
      } finally {
        reloading.delete(id);
      }
    },

    newConversation: async () => {
      const documentId = get().selectedDocId;
      if (documentId === null) return null;
      // the open conversation is new already (no messages): it is the one to use, not another
      const open = get().conversations.find((c) => c.id === get().conversationId && c.documentId === documentId);
      if (open && get().messages.length === 0) return open.id;
      const c = await api()["chat.create"]({ documentId });
      // (its chat.conversation may have come first)
      set((s) => ({ conversations: [c, ...s.conversations.filter((x) => x.id !== c.id)], conversationId: c.id, messages: [] }));
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
        const q = get().quote;
        const passage = q && q.documentId === get().selectedDocId ? { start: q.start, end: q.end } : undefined;
        const editing = get().editing?.conversationId === id ? get().editing : null;
        const { user, assistant } = await api()["chat.send"]({ conversationId: id, text: t, ...(passage ? { passage } : {}), ...(editing ? { replaceLast: true } : {}) });
        if (passage) set({ quote: null });
        // the edited question and its answer are gone
        if (editing) set((s) => ({ editing: null, messages: s.messages.filter((m) => m.conversationId !== id || m.id < editing.messageId) }));
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

    conversationUpdated: (c) =>
      set((s) => {
        if (c.documentId !== s.selectedDocId) return {};
        // at its place in the server's order (the last changed first), the others as they are
        const others = s.conversations.filter((x) => x.id !== c.id);
        const at = others.findIndex((x) => x.updatedAt < c.updatedAt || (x.updatedAt === c.updatedAt && x.id < c.id));
        return { conversations: at < 0 ? [...others, c] : [...others.slice(0, at), c, ...others.slice(at)] };
      }),
    conversationRemoved: (id) => {
      if (!get().conversations.some((c) => c.id === id)) return;
      set((s) => ({ conversations: s.conversations.filter((c) => c.id !== id) }));
      if (get().conversationId === id) void get().openConversation(get().conversations[0]?.id ?? null);
    },
    messagesRemoved: (conversationId, ids) =>
      set((s) => (s.conversationId === conversationId ? { messages: s.messages.filter((m) => !ids.includes(m.id)) } : {})),

    renameConversation: async (id, title) => {
      try {
        const c = await api()["chat.rename"]({ conversationId: id, title });
        set((s) => ({ conversations: s.conversations.map((x) => (x.id === c.id ? c : x)) }));
        return true;
      } catch (e) {
        get().notify("error", messageOf(e));
        return false;
      }
    },

    messageUpdated: (m) => {
      let gap = false;
      set((s) => {
        const streaming = m.role === "assistant" && m.status === "streaming";
        const answering = streaming ? { conversationId: m.conversationId, messageId: m.id } : s.answering?.messageId === m.id ? null : s.answering;
        // A finished message's text is the exact final one: the deltas kept for it have served.
        const streamed = !streaming && s.streamed?.messageId === m.id ? null : s.streamed;
        if (m.conversationId !== s.conversationId) return { answering, streamed };
        const shown = s.messages.find((x) => x.id === m.id);
        let next = m;
        if (streaming) {
          const known = knownText(m, shown?.content, streamed);
          gap = known.gap;
          next = { ...m, content: known.text };
        }
        const messages = shown ? s.messages.map((x) => (x.id === m.id ? next : x)) : [...s.messages, next].sort((a, b) => a.id - b.id);
        return { messages, answering, streamed };
      });
      if (gap) void get().reloadMessages(m.conversationId);
    },

    appendDelta: (conversationId, messageId, offset, text) => {
      let gap = false;
      set((s) => {
        const shown = conversationId === s.conversationId ? s.messages.find((m) => m.id === messageId) : undefined;
        if (shown && shown.status !== "streaming") return {}; // late: the final text is shown already
        // After a reload mid-answer, the deltas are the first news of which conversation answers.
        const answering = s.answering?.messageId === messageId ? s.answering : { conversationId, messageId };
        // Kept whichever conversation is open: one that is loading joins them when it arrives.
        const streamed = withDelta(s.streamed, messageId, offset, text);
        if (!shown) return { answering, streamed };
        const known = knownText(shown, undefined, streamed);
        gap = known.gap;
        return { answering, streamed, messages: s.messages.map((m) => (m === shown ? { ...m, content: known.text } : m)) };
      });
      if (gap) void get().reloadMessages(conversationId);
    },

    streaming: () => get().messages.some((m) => m.status === "streaming"),
  };
};
