/**
 * Small arithmetic for the synthetic text: one-step problems over one-digit numbers, worked out.
 * A step reads `a op b = c`; a worked solution is its steps joined by ", " inside <think>...</think>,
 * the form the built-in judge checks.
 */
export type Op = "+" | "-" | "*";

export interface Step {
  readonly a: number;
  readonly op: Op;
  readonly b: number;
  readonly c: number;
}

export function apply(a: number, op: Op, b: number): number {
  return op === "+" ? a + b : op === "-" ? a - b : a * b;
}

export const stepText = (s: Step): string => `${s.a} ${s.op} ${s.b} = ${s.c}`;

const WORD: Readonly<Record<Op, string>> = { "+": "plus", "-": "minus", "*": "times" };
export const opWord = (op: Op): string => WORD[op];

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

export interface Problem {
  readonly question: string;
  readonly steps: readonly Step[];
  readonly answer: number;
}

/** Ways of asking, from least to most why/how-like (the VTIA scorer tells them apart). */
export const ASKS = ["", "What is", "How much is"] as const;

/**
 * A one-step worded problem over a first number `x`: "What is 7 plus 3?" (plus 1 to 4) or "How
 * much is 7 times 2?" (times 2 or 3). The visual task asks the same about "the digit" in its image; the text task names the
 * number, so a text-pretrained LM has already seen every question shape the visual task uses.
 */
export function wordedProblem(rand: () => number, x: number, subject: string = String(x)): Problem & { readonly ask: string } {
  const add = rand() < 0.6;
  const y = add ? 1 + Math.floor(rand() * 4) : 2 + Math.floor(rand() * 2);
  const op: Op = add ? "+" : "*";
  const ask = pick(rand, ASKS);
  const phrase = `${subject} ${opWord(op)} ${y}`;
  const step: Step = { a: x, op, b: y, c: apply(x, op, y) };
  const question = ask === "" ? `${phrase[0]!.toUpperCase()}${phrase.slice(1)} = ?` : `${ask} ${phrase}?`;
  return { question, steps: [step], answer: step.c, ask };
}

export const thinkText = (lead: readonly string[], steps: readonly Step[]): string => `<think>${[...lead, ...steps.map(stepText)].join(", ")}</think>`;

const STEP_RE = /(-?\d+)\s*([-+*x×])\s*(-?\d+)\s*=\s*(-?\d+)/g;
const BOXED_RE = /\\boxed\{([^}]*)\}/g;

/**
 * Whether a worked solution reaches `answer`: every `a op b = c` it writes is right, and its
 * conclusion is the answer: the last \boxed{} if there is one, else the last number it writes.
 */
export function reaches(text: string, answer: string): boolean {
  const want = answer.trim();
  if (want === "") return false;
  for (const m of text.matchAll(STEP_RE)) {
    const op: Op = m[2] === "+" ? "+" : m[2] === "-" ? "-" : "*";
    if (apply(Number(m[1]), op, Number(m[3])) !== Number(m[4])) return false;
  }
  const boxed = [...text.matchAll(BOXED_RE)].at(-1);
  if (boxed) return boxed[1]!.trim() === want;
  const last = text.match(/-?\d+(?:\.\d+)?/g)?.at(-1);
  return last !== undefined && last === want;
}
