// Strings that stress tokenizers: whitespace runs, CRLF, accents, CJK, emoji and
// ZWJ sequences, code, digit runs, special-token look-alikes, book lines.
import * as fs from "node:fs";
import * as path from "node:path";

const HANDWRITTEN = [
  "", " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", " \r\n ", "\t \n \r\n",
  "Hello world", " Hello world", "Hello World", " Hello World ", "Hello  world", "hello\tworld", "hello\nworld",
  "Hello, world!", "HELLO", "hello!!!", "  leading", "trailing  ", "   both   ", "a", " a", "a ", "ab", "abc",
  "I'm", "you're", "he's", "they've", "we'll", "I'd", "don't", "DON'T", "It's", "IT'S", "'s", "'", "''", "\"quoted\"",
  "Führer", "naïve café", "résumé", "Ångström", "São Paulo", "Zürich", "crème brûlée", "ﬁ ligature", "e\u0301 combining",
  "Привет мир", "Здравствуйте", "Ελληνικά", "עברית", "مرحبا بالعالم", "हिन्दी", "ภาษาไทย", "ខ្មែរ", "Tiếng Việt",
  "你好世界", "中文测试", "日本語のテキスト", "カタカナ", "한국어 텍스트", "漢字かな交じり文", "全角ＡＢＣ１２３",
  "😀", "😀😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇺🇸🇫🇷", "emoji 🎉 party", "🦙 llama", "a😀b", " 😀 ",
  "1", "12", "123", "1234", "12345", "123456789", "3.14159", "1,000,000", "-42", "+1 (555) 123-4567", "2024-01-01",
  "0x1F", "1e10", "v1.2.3", "1st 2nd 3rd", "٣٤٥ arabic digits", "১২৩",
  "def f(x):\n    return x * 2\n", "int main() { return 0; }", "if (a && b) { c++; }", "for i in range(10):\n\tprint(i)",
  "console.log(`hi ${name}`);", "<div class=\"a\">text</div>", "SELECT * FROM t WHERE x = 1;", "a->b", "x => x + 1",
  "#include <stdio.h>", "// comment", "/* block */", "$HOME/.config", "C:\\Windows\\System32", "https://example.com/a?b=c",
  "user@example.com", "snake_case_name", "camelCaseName", "PascalCase", "kebab-case-name", "SCREAMING_CASE",
  "<s>", "</s>", "<unk>", "<s>hello</s>", "<|endoftext|>", "<|im_start|>user\nhi<|im_end|>", "<|begin_of_text|>",
  "<|eot_id|>", "<|start_header_id|>assistant<|end_header_id|>", "[INST] hi [/INST]", "<<SYS>>", "<|start_story|>",
  "<|end_story|>", "<pad>", "<mask>", "<0x41>", "< s >", "<s", "s>", "<|", "|>", "<||>",
  "...", "…", "---", "—", "–", "!?", "?!", "((()))", "[]{}", "@#$%^&*", "~`", "§¶", "©®™", "°C", "±×÷", "€£¥",
  "Mr. and Mrs. Dursley", "U.S.A.", "e.g.", "i.e.,", "etc.", "a.b.c", "A—B", "don’t", "“smart quotes”", "‘single’",
  "\u00a0nbsp", "zero\u200bwidth", "soft\u00adhyphen", "bidi\u200fmark", "tab\tand space ", "\u3000ideographic space",
  "\v vertical tab", "\f form feed", "\u0085 next line", "\u2028 line sep", "mixed \t\n\r\n whitespace   ",
];

const WORDS = ["the", "The", "Alice", "rabbit", "hole", "said", "whale", "Ishmael", "über", "日本", "🙂", "42", "x"];
const SEPS = [" ", "  ", "\n", "\t", "\r\n", ", ", ". ", "!", "", "   \n"];

export function tokenizerStrings(dataDir?: string): string[] {
  const out = [...HANDWRITTEN];
  // word x separator x word: whitespace handling between every kind of piece
  for (let i = 0; i < WORDS.length; i++)
    for (let j = 0; j < SEPS.length; j++) {
      const a = WORDS[i], b = WORDS[(i * 7 + j * 3) % WORDS.length];
      out.push(a + SEPS[j] + b);
      if ((i + j) % 3 === 0) out.push(SEPS[j] + a + SEPS[(j + 1) % SEPS.length]);
    }
  // real prose lines (CRLF kept) from a book, when the data is present
  if (dataDir) {
    const book = fs.readFileSync(path.join(dataDir, "books", "alice-in-wonderland_pg11.txt"), "utf8");
    const lines = book.split("\n").filter((l) => l.trim().length > 20);
    for (let i = 0; i < 40; i++) out.push(lines[(i * 37) % lines.length] + "\n");
    out.push(book.slice(5000, 9000));
  }
  return out;
}
