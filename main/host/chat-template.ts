// The prompt of a turn, rendered with the model's own chat template (GGUF
// `tokenizer.chat_template`, a Jinja template) by @huggingface/jinja, or with a
// plain fallback for models without one.
//
// Everything a person or a book supplies (the book's text, questions, answers) is
// rendered as a sentinel and tokenized apart WITHOUT special-token parsing, so a
// book that contains "<|im_start|>" cannot forge a turn; the template's own text
// is tokenized WITH special tokens. The result is a list of segments:
//   [{ kind: "template", text }, { kind: "content", text, doc? }, ...]
// and the book is always one content segment, so its tokens (and their character
// offsets) are the same in every turn and its KV can be reused.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  /** Parts of the content: literal text and references to the book. */
  parts: ({ text: string } | { doc: true })[];
}

export interface Segment {
  kind: "template" | "content";
  text: string;
  doc?: boolean;
}

/** Used when the GGUF has no chat template (the small fixture models have none). */
export const FALLBACK_TEMPLATE =
  "{{ bos_token }}" +
  "{% for m in messages %}" +
  "{% if m.role == 'system' %}{{ m.content }}\n\n" +
  "{% elif m.role == 'user' %}Question: {{ m.content }}\n" +
  "{% else %}Answer: {{ m.content }}\n\n{% endif %}" +
  "{% endfor %}" +
  "{% if add_generation_prompt %}Answer:{% endif %}";

type JinjaModule = typeof import("@huggingface/jinja", { with: { "resolution-mode": "import" } });
type Template = InstanceType<JinjaModule["Template"]>;
let jinja: Promise<JinjaModule> | undefined;
const compiled = new Map<string, Template>();

async function compile(source: string): Promise<Template> {
  let t = compiled.get(source);
  if (!t) {
    jinja ??= import("@huggingface/jinja");
    const { Template } = await jinja;
    t = new Template(source);
    compiled.set(source, t);
  }
  return t;
}

// Private-use code points: never in a template, vanishingly rare in books (and
// stripped from content before rendering).
const S = "\uE000";
const E = "\uE001";
const sentinel = (i: number) => `${S}${i}${E}`;
const SENTINEL_RE = /\uE000(\d+)\uE001/g;

export interface RenderOptions {
  template: string | null;
  bosToken: string;
  eosToken: string;
  addGenerationPrompt: boolean;
  docText: string;
}

/** Renders with `o.template` (null: the fallback), or throws what the template raised. */
export async function renderTemplateSegments(messages: ChatMessage[], o: RenderOptions): Promise<Segment[]> {
  const contents: Segment[] = [];
  const msgs = messages.map((m) => ({
    role: m.role,
    content: m.parts
      .map((p) => {
        contents.push("doc" in p ? { kind: "content", text: o.docText, doc: true } : { kind: "content", text: p.text.replace(/[\uE000\uE001]/g, "") });
        return sentinel(contents.length - 1);
      })
      .join(""),
  }));
  const t = await compile(o.template ?? FALLBACK_TEMPLATE);
  const rendered = t.render({
    messages: msgs,
    add_generation_prompt: o.addGenerationPrompt,
    // Qwen3's hybrid models answer at once instead of writing out a long reasoning first:
    // minutes of decoding on a CPU before a word of the answer (templates without it ignore it)
    enable_thinking: false,
    // gpt-oss cannot skip its analysis; the least of it (its template's default is medium)
    reasoning_effort: "low",
    bos_token: o.bosToken,
    eos_token: o.eosToken,
  });
  const out: Segment[] = [];
  let last = 0;
  for (const m of rendered.matchAll(SENTINEL_RE)) {
    if (m.index! > last) out.push({ kind: "template", text: rendered.slice(last, m.index) });
    const c = contents[Number(m[1])];
    if (c && c.text) out.push(c);
    last = m.index! + m[0].length;
  }
  if (last < rendered.length) out.push({ kind: "template", text: rendered.slice(last) });
  return out;
}

/** renderTemplateSegments, falling back to the plain template (said in the log) when the template cannot run. */
export async function renderSegments(messages: ChatMessage[], o: RenderOptions): Promise<Segment[]> {
  try {
    return await renderTemplateSegments(messages, o);
  } catch (e) {
    if (o.template === null) throw e;
    // A template this renderer cannot run (rare Jinja features): fall back, and say so in the log.
    process.stderr.write(`tome: chat template failed (${(e as Error).message}); using the fallback template\n`);
    return renderTemplateSegments(messages, { ...o, template: null });
  }
}
