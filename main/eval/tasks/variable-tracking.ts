// Variable tracking over several hops (RULER's vt): "VAR ABCDE = 12345." then
// "VAR FGHIJ = VAR ABCDE." ... in noise; the answer is every variable that ends
// up holding the value. The first assignment (the value itself) sits at the
// depth; the later hops are spread evenly from there to the end of the context.
// A second chain with another value is the distractor.
import { variableName } from "../words";
import type { Needle } from "../placement";
import { haystackContext } from "./haystack-context";
import type { DraftInput, TaskGenerator } from "./task";

const HOPS = 4;

export const variableTracking: TaskGenerator = {
  name: "variable_tracking",
  hasDepth: true,
  maxNewTokens: 40,
  haystack: "noise",
  draft(input: DraftInput) {
    const { rng } = input;
    const depth = input.depth ?? 50;
    const names = new Set<string>();
    const chain = (value: string) => {
      const vars = Array.from({ length: HOPS + 1 }, () => variableName(rng, names));
      const lines = vars.map((v, i) => (i === 0 ? `VAR ${v} = ${value}.` : `VAR ${v} = VAR ${vars[i - 1]}.`));
      return { vars, lines };
    };
    const value = rng.digits(5);
    let other = rng.digits(5);
    while (other === value) other = rng.digits(5);
    const main = chain(value);
    const distractor = chain(other);
    const needles: Needle[] = main.lines.map((text, i) => ({ text, depth: depth + ((100 - depth) * i) / HOPS }));
    const d0 = rng.int(0, 100);
    for (const [i, text] of distractor.lines.entries()) needles.push({ text, depth: d0 + ((100 - d0) * i) / HOPS });
    return {
      preamble: "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n",
      question: `\nQuestion: Find all variables that are assigned the value ${value} in the text above.`,
      answerPrefix: ` Answer: According to the chain(s) of variable assignment in the text above, ${HOPS + 1} variables are assigned the value ${value}, they are:`,
      answers: main.vars,
      ...haystackContext(input, { kind: "noise" }, needles, main.vars.map((_, i) => i)),
    };
  },
};
