import type { Scorer } from "../../data/ops-score.js";
import { reaches } from "./arith.js";
import { glyphMatch } from "./glyphs.js";

/**
 * The built-in rule scorers (`rule("quality")`), stand-ins for the reward model and the LLM judges
 * of the real recipe. Each is a pure function of one row, wrapped as a `Scorer` so `score(...)`
 * runs them exactly as it runs an external command. Output names match `RULE_SCORERS` in
 * src/check/builtins.ts, which the checker relies on.
 */
export type RuleFn = (row: Readonly<Record<string, unknown>>) => Record<string, number>;

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The worked solution a judge reads: a distilled chain of thought if there is one, else the rationale, else a completion. */
function solution(row: Readonly<Record<string, unknown>>): string {
  for (const k of ["cot", "rationale", "completion"]) {
    const t = text(row[k]);
    if (t !== "") return t;
  }
  return "";
}

/** How readable a row's image is, 0..1; undefined when it has none. */
function imageClarity(row: Readonly<Record<string, unknown>>): number | undefined {
  const img = row["image"];
  if (!Array.isArray(img) || img.length === 0) return undefined;
  return glyphMatch(img.map((v) => (typeof v === "number" ? v : 0))).match;
}

/** 1 when the row's solution reaches its answer with every step right. */
const judge: RuleFn = (row) => ({ score: reaches(solution(row), text(row["answer"])) ? 1 : 0 });

/**
 * The reward model: the row's own `quality` (0..5) when it has one; else 5 × its `clarity`; else
 * a judgement of its text: 4 for a solution that reaches its answer, 1 for one that does not.
 */
const quality: RuleFn = (row) => {
  const q = num(row["quality"]);
  if (q !== undefined) return { score: clamp(q, 0, 5) };
  const c = num(row["clarity"]);
  if (c !== undefined) return { score: Math.round(clamp(5 * c, 0, 5)) };
  return { score: judge(row)["score"] === 1 ? 4 : 1 };
};

const IMAGE_WORDS = /\b(digit|image|picture|shown)\b/i;

/**
 * QDAM's vision and text scores, each 0..1. s_v: image clarity (how well the picture matches a
 * clean glyph) times its necessity (1 when the question refers to it, else 0.5); 0 without an
 * image. s_t: question quality (a question that ends in "?"), difficulty (reasoning steps, from
 * metadata or counted in the rationale) and reasoning demand (a worded question over a bare sum).
 */
const qdam: RuleFn = (row) => {
  const question = text(row["question"]);
  const clarity = imageClarity(row);
  const s_v = clarity === undefined ? 0 : clarity * (IMAGE_WORDS.test(question) ? 1 : 0.5);
  const steps = num(row["difficulty"]) ?? (solution(row).match(/=\s*-?\d/g)?.length ?? 0);
  const wellFormed = question.trim().endsWith("?") ? 1 : 0;
  const worded = /[a-z]{3,}/i.test(question) ? 1 : 0;
  const s_t = 0.3 * wellFormed + 0.5 * clamp(steps / 3, 0, 1) + 0.2 * worded;
  return { s_v: round3(s_v), s_t: round3(s_t) };
};

/** VTIA's integration score, 0..1: why/how questions ask for the most, "what" less, a bare `= ?` least. */
const vtia: RuleFn = (row) => {
  const q = text(row["question"]).trim();
  const s_i = /^(why|how)\b/i.test(q) ? 1 : /\b(why|how)\b/i.test(q) ? 0.8 : /^(what|which)\b/i.test(q) ? 0.5 : 0.2;
  return { s_i };
};

export const RULES: Readonly<Record<string, RuleFn>> = { quality, judge, qdam, vtia };

/** The rule scorer `name` as a streaming Scorer; undefined when there is no such rule. */
export function ruleScorer(name: string): Scorer | undefined {
  const fn = Object.hasOwn(RULES, name) ? RULES[name] : undefined;
  if (!fn) return undefined;
  return {
    async *run(rows) {
      for await (const { row } of rows) yield fn(row);
    },
  };
}
