import type { Expect } from "./schema.js";

/** Built-in functions: constructors of models, datasets, scorers, schedules and rewards, and row math. */

export type FnCategory = "model" | "dataset" | "scorer" | "schedule" | "reward" | "row" | "number";

export interface ParamSpec {
  readonly name: string;
  readonly expect: Expect;
  readonly required?: boolean;
  /** Accepts any number of positional values (argv of a command). */
  readonly variadic?: boolean;
  /** May only be given by name. */
  readonly namedOnly?: boolean;
  readonly doc: string;
  readonly default?: string;
  /**
   * The default as a value (or computed from the other arguments), where it is one: lowering leaves
   * out an argument given it, so writing the default out changes no fingerprint.
   */
  readonly value?: number | string | ((args: Readonly<Record<string, unknown>>) => number | undefined);
}

export interface FnSpec {
  readonly category: FnCategory;
  readonly doc: string;
  readonly params: readonly ParamSpec[];
}

const count: Expect = { is: "number", min: 1, integer: true, unit: "count" };
const posNum: Expect = { is: "number", min: 0, minExclusive: true };
const str: Expect = { is: "string" };
const lr: Expect = { is: "number", min: 0, minExclusive: true };

export const FUNCTIONS: Readonly<Record<string, FnSpec>> = {
  // models: external references (sizes for cost estimates) and built-in trainable architectures
  vision: {
    category: "model",
    doc: "an external vision encoder, by hub reference; size and width feed cost estimates",
    params: [
      { name: "ref", expect: str, required: true, doc: "hub reference" },
      { name: "params", expect: { is: "number", min: 1 }, required: true, namedOnly: true, doc: "parameter count (5.9B)" },
      { name: "width", expect: count, required: true, namedOnly: true, doc: "output feature width" },
    ],
  },
  llm: {
    category: "model",
    doc: "an external language model, by hub reference",
    params: [
      { name: "ref", expect: str, required: true, doc: "hub reference" },
      { name: "params", expect: { is: "number", min: 1 }, required: true, namedOnly: true, doc: "parameter count (32.8B)" },
      { name: "width", expect: count, required: true, namedOnly: true, doc: "hidden width (input embedding size)" },
      { name: "vocab", expect: count, namedOnly: true, doc: "vocabulary size" },
    ],
  },
  vision_encoder: {
    category: "model",
    doc: "built-in small vision encoder: square image → patches (reshape + matMul) → MLP blocks",
    params: [
      { name: "image", expect: count, required: true, namedOnly: true, doc: "image side in pixels" },
      { name: "patch", expect: count, required: true, namedOnly: true, doc: "patch side in pixels; must divide image" },
      { name: "width", expect: count, required: true, namedOnly: true, doc: "feature width" },
      { name: "layers", expect: count, namedOnly: true, doc: "blocks", default: "1", value: 1 },
      { name: "classes", expect: count, namedOnly: true, doc: "classes of the pretraining head", default: "10", value: 10 },
    ],
  },
  mlp: {
    category: "model",
    doc: "built-in MLP adapter: in → hidden → … → out, GELU between layers",
    params: [
      { name: "in", expect: count, required: true, namedOnly: true, doc: "input width" },
      { name: "out", expect: count, required: true, namedOnly: true, doc: "output width" },
      { name: "hidden", expect: count, namedOnly: true, doc: "hidden width", default: "max(in, out)", value: (a) => (typeof a["in"] === "number" && typeof a["out"] === "number" ? Math.max(a["in"], a["out"]) : undefined) },
      { name: "layers", expect: { is: "number", min: 1, integer: true }, namedOnly: true, doc: "linear layers", default: "2", value: 2 },
    ],
  },
  decoder_lm: {
    category: "model",
    doc: "built-in decoder-only language model with causal attention",
    params: [
      { name: "vocab", expect: count, namedOnly: true, doc: "vocabulary size", default: "the built-in character vocabulary" },
      { name: "width", expect: count, required: true, namedOnly: true, doc: "hidden width" },
      { name: "layers", expect: count, required: true, namedOnly: true, doc: "transformer blocks" },
      { name: "heads", expect: count, required: true, namedOnly: true, doc: "attention heads; must divide width" },
      { name: "context", expect: count, required: true, namedOnly: true, doc: "maximum sequence length" },
    ],
  },
  // dataset sources
  jsonl: {
    category: "dataset",
    doc: "a JSON-lines file, read as a stream",
    params: [
      { name: "path", expect: str, required: true, doc: "path, relative to the pipeline file" },
      { name: "rows", expect: count, namedOnly: true, doc: "declared row count (for checks and cost estimates)" },
      { name: "tokens_per_row", expect: posNum, namedOnly: true, doc: "average tokens per row (cost estimates)" },
      { name: "fields", expect: { is: "list", of: str }, namedOnly: true, doc: "row fields the file has; declared fields are checked everywhere they are read" },
      { name: "key", expect: str, namedOnly: true, doc: "the field that identifies a row (set operations, dedupe)", default: "\"id\"" },
      { name: "on_error", expect: { is: "string", oneOf: ["fail", "skip"] }, namedOnly: true, doc: "a malformed row, or one a transform cannot use, fails the stage, or is skipped and counted", default: "\"fail\"" },
    ],
  },
  synthetic: {
    category: "dataset",
    doc: "a built-in generator of small data for tests and demos",
    params: [
      { name: "generator", expect: str, required: true, doc: "one of the built-in generators" },
      { name: "rows", expect: count, required: true, namedOnly: true, doc: "rows to generate" },
      { name: "seed", expect: { is: "number", min: 0, integer: true }, namedOnly: true, doc: "generator seed", default: "the pipeline's seed" },
      { name: "rationale", expect: { is: "bool" }, namedOnly: true, doc: "false: rows without their worked steps (the same problems), for a model that answers directly", default: "true" },
      { name: "tokens_per_row", expect: posNum, namedOnly: true, doc: "average tokens per row (cost estimates)" },
    ],
  },
  // scorers and judges
  command: {
    category: "scorer",
    doc: "an external program: JSONL rows on stdin, one JSON object of scores per row on stdout",
    params: [
      { name: "argv", expect: str, required: true, variadic: true, doc: "program and arguments" },
      { name: "outputs", expect: { is: "list", of: str }, namedOnly: true, doc: "score fields each output object has", default: "one field, \"score\"" },
      { name: "env", expect: { is: "record" }, namedOnly: true, doc: "extra environment variables" },
    ],
  },
  rule: {
    category: "scorer",
    doc: "a built-in rule scorer",
    params: [{ name: "name", expect: str, required: true, doc: "one of the built-in rule scorers" }],
  },
  // learning-rate schedules
  constant: { category: "schedule", doc: "a constant learning rate", params: [{ name: "lr", expect: lr, required: true, doc: "learning rate" }] },
  linear: {
    category: "schedule",
    doc: "linear decay",
    params: [
      { name: "from", expect: lr, required: true, namedOnly: true, doc: "starting learning rate" },
      { name: "to", expect: { is: "number", min: 0 }, namedOnly: true, doc: "final learning rate", default: "0" },
    ],
  },
  cosine: {
    category: "schedule",
    doc: "cosine decay",
    params: [
      { name: "from", expect: lr, required: true, namedOnly: true, doc: "starting learning rate" },
      { name: "min", expect: { is: "number", min: 0 }, namedOnly: true, doc: "floor", default: "0" },
    ],
  },
  warmup: {
    category: "schedule",
    doc: "linear warm-up from 0, by a ratio of the steps (3%) or a number of steps; it rises to `to`, or to the start of what follows `then`",
    params: [
      { name: "ratio", expect: { is: "number", min: 0, max: 1, maxExclusive: true, unit: "ratio" }, doc: "fraction of the stage's steps" },
      { name: "steps", expect: { is: "number", min: 1, integer: true }, namedOnly: true, doc: "warm-up steps (instead of a ratio)" },
      { name: "to", expect: lr, namedOnly: true, doc: "peak learning rate, when nothing follows" },
    ],
  },
  multistep: {
    category: "schedule",
    doc: "multiply the rate by gamma at each milestone (fractions of the steps)",
    params: [
      { name: "from", expect: lr, required: true, namedOnly: true, doc: "starting learning rate" },
      { name: "milestones", expect: { is: "list", of: { is: "number", min: 0, max: 1, maxExclusive: true, unit: "ratio" } }, required: true, namedOnly: true, doc: "list of ratios (e.g. [50%, 80%])" },
      { name: "gamma", expect: { is: "number", min: 0, minExclusive: true, max: 1 }, namedOnly: true, doc: "factor", default: "0.1" },
    ],
  },
  // rewards
  matches: {
    category: "reward",
    doc: "true when the completion (or the given field) matches the regular expression",
    params: [
      { name: "pattern", expect: { is: "regex" }, required: true, doc: "the expression; or (field, pattern)" },
    ],
  },
  contains: {
    category: "reward",
    doc: "true when the completion contains the text",
    params: [{ name: "text", expect: str, required: true, doc: "text to look for" }],
  },
  length_penalty: {
    category: "reward",
    doc: "0 up to `max` completion tokens, then falling linearly to -1 at twice `max`",
    params: [{ name: "max", expect: count, required: true, namedOnly: true, doc: "token budget" }],
  },
  // math over numbers and row fields
  min: { category: "row", doc: "smallest argument", params: [{ name: "values", expect: { is: "row-number" }, required: true, variadic: true, doc: "numbers" }] },
  max: { category: "row", doc: "largest argument", params: [{ name: "values", expect: { is: "row-number" }, required: true, variadic: true, doc: "numbers" }] },
  exp: { category: "row", doc: "e^x", params: [{ name: "x", expect: { is: "row-number" }, required: true, doc: "exponent" }] },
  log: { category: "row", doc: "natural logarithm", params: [{ name: "x", expect: { is: "row-number" }, required: true, doc: "argument" }] },
  sqrt: { category: "row", doc: "square root", params: [{ name: "x", expect: { is: "row-number" }, required: true, doc: "argument" }] },
  abs: { category: "row", doc: "absolute value", params: [{ name: "x", expect: { is: "row-number" }, required: true, doc: "argument" }] },
  clamp: {
    category: "row",
    doc: "x limited to [lo, hi]",
    params: [
      { name: "x", expect: { is: "row-number" }, required: true, doc: "value" },
      { name: "lo", expect: { is: "row-number" }, required: true, doc: "lower bound" },
      { name: "hi", expect: { is: "row-number" }, required: true, doc: "upper bound" },
    ],
  },
  len: { category: "row", doc: "length of a text field", params: [{ name: "field", expect: { is: "row-number" }, required: true, doc: "a row field" }] },
};

/** Built-in synthetic generators and the row fields they produce. */
export const GENERATORS: Readonly<Record<string, { readonly fields: readonly string[]; readonly doc: string }>> = {
  glyphs: { fields: ["id", "image", "label"], doc: "small images of digit glyphs with their class, for pretraining a vision encoder" },
  arith_text: {
    fields: ["id", "question", "answer", "rationale", "image_text"],
    doc: "text-only one-step arithmetic word problems with worked steps, for pretraining the LMs; half ask about \"the digit\", written in image_text (the image slot)",
  },
  visual_arith: {
    fields: ["id", "image", "question", "answer", "rationale", "quality", "clarity", "difficulty"],
    doc: "an image of a digit plus a question that needs a step of reasoning over it; answer in \\boxed{}",
  },
};

/** Built-in rule scorers and the fields each writes. */
export const RULE_SCORERS: Readonly<Record<string, { readonly outputs: readonly string[]; readonly doc: string }>> = {
  quality: { outputs: ["score"], doc: "a 0..5 quality judgement of a row (the synthetic data's stand-in for a reward model)" },
  judge: { outputs: ["score"], doc: "1 when a row's rationale reaches its answer, else 0 (the stand-in for an LLM judge)" },
  qdam: { outputs: ["s_v", "s_t"], doc: "vision and text scores (image clarity and necessity; question quality, difficulty, reasoning demand)" },
  vtia: { outputs: ["s_i"], doc: "vision-text integration score: high for why/how questions" },
};

/** Transforms after `|`. */
export const TRANSFORMS: Readonly<Record<string, string>> = {
  where: "keep rows where the predicate holds: where quality >= 4",
  take: "the first N rows (or a fraction: take(10%))",
  top: "the N rows with the largest value of a field: top(200K, by: quality)",
  sample: "N rows drawn at random with a seed: sample(10K, seed: 1)",
  dedupe: "drop rows whose field repeats an earlier row's: dedupe(by: question)",
  score: "add score fields from scorers: score(rm: rm, s_v: qdam.s_v)",
  normalize: "min-max normalise fields to [0, 1] over the dataset: normalize(s_v, s_t)",
  distill: "a teacher writes chains of thought, a judge checks them: distill(teacher: m, judge: j, retries: 2)",
  union: "rows of either dataset, by key: union(other, by: id)",
  intersect: "rows in both datasets, by key",
  minus: "rows not in the other dataset, by key",
};

/** Fields a completion adds to a row, readable by rewards. */
export const COMPLETION_FIELDS: readonly string[] = ["completion", "boxed_answer", "completion_tokens"];
/** Fields an eval adds to each row of its failures and successes. */
export const EVAL_FIELDS: readonly string[] = ["prediction", "correct"];
/** The fields a distill step writes: the chain, whether the judge accepted it, and after how many attempts. */
export const DISTILL_FIELDS: readonly string[] = ["cot", "cot_accepted", "cot_attempts"];
