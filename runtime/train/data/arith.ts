/**
 * Small arithmetic for the synthetic text: problems over one-digit numbers, solved step by step.
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
const digit = (rand: () => number, lo = 0): number => lo + Math.floor(rand() * (10 - lo));

export interface Problem {
  readonly question: string;
  readonly steps: readonly Step[];
  readonly answer: number;
}

/**
 * A symbolic problem, `3 + 4 * 2 = ?`, with two or three operands and the usual precedence, whose
 * intermediate results are never negative (a problem that would be is drawn again).
 */
export function symbolicProblem(rand: () => number): Problem {
  for (;;) {
    const n = rand() < 0.5 ? 2 : 3;
    const xs = Array.from({ length: n }, () => digit(rand));
    const ops = Array.from({ length: n - 1 }, () => pick<Op>(rand, ["+", "-", "*"]));
    const steps: Step[] = [];
    const step = (a: number, op: Op, b: number): number => {
      const c = apply(a, op, b);
      steps.push({ a, op, b, c });
      return c;
    };
    let answer: number;
    if (n === 2) answer = step(xs[0]!, ops[0]!, xs[1]!);
    else if (ops[1] === "*" && ops[0] !== "*") answer = step(xs[0]!, ops[0]!, step(xs[1]!, "*", xs[2]!));
    else answer = step(step(xs[0]!, ops[0]!, xs[1]!), ops[1]!, xs[2]!);
    if (steps.some((s) => s.c < 0)) continue;
    const text = xs.map((x, i) => (i === 0 ? `${x}` : `${ops[i - 1]} ${x}`)).join(" ");
    return { question: `${text} = ?`, steps, answer };
  }
}

/** Ways of asking, from least to most why/how-like (the VTIA scorer tells them apart). */
export const ASKS = ["", "What is", "How much is"] as const;

/**
 * A worded problem over a first number `x`: "What is 7 plus 3, times 2?". The visual task asks the
 * same about "the digit" in its image; the text task names the number, so a text-pretrained LM has
 * already seen every question shape the visual task uses.
 */
export function wordedProblem(rand: () => number, x: number, subject: string = String(x)): Problem & { readonly ask: string } {
  const shape = pick(rand, ["add", "mul", "add_mul", "mul_add"] as const);
  const a = digit(rand, 1);
  const b = 2 + Math.floor(rand() * 2);
  const ask = pick(rand, ASKS);
  const steps: Step[] = [];
  const step = (p: number, op: Op, q: number): number => {
    const c = apply(p, op, q);
    steps.push({ a: p, op, b: q, c });
    return c;
  };
  let phrase: string;
  let answer: number;
  switch (shape) {
    case "add":
      phrase = `${subject} plus ${a}`;
      answer = step(x, "+", a);
      break;
    case "mul":
      phrase = `${subject} times ${b}`;
      answer = step(x, "*", b);
      break;
    case "add_mul":
      phrase = `${subject} plus ${a}, times ${b}`;
      answer = step(step(x, "+", a), "*", b);
      break;
    case "mul_add":
      phrase = `${subject} times ${b}, plus ${a}`;
      answer = step(step(x, "*", b), "+", a);
      break;
  }
  const question = ask === "" ? `${phrase[0]!.toUpperCase()}${phrase.slice(1)} = ?` : `${ask} ${phrase}?`;
  return { question, steps, answer, ask };
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
