import path from "node:path";
import { fieldDefault } from "../../../src/check/schema.js";
import type { Canon, IrNode } from "../../../src/ir/ir.js";
import type { RowExpr } from "../../../src/ir/row-expr.js";
import { withFields } from "../../data/json-text.js";
import { writeJsonl } from "../../data/jsonl.js";
import { evalRow } from "../../data/row-eval.js";
import type { NodeOutcome, RunnerContext } from "../../runner.js";
import { scorerOf } from "../../scorers.js";
import { resolveModel } from "./artifact.js";
import { derivedSeed, num, obj, paramsOf, readRowsFile, rowsFile, stageSeed, str, type Row } from "./params.js";
import { sampleCompletions } from "./sample.js";
import { trainingBackend } from "./setup.js";

/**
 * `distill(teacher, judge, retries, repetition_penalty, max_new_tokens)`: the teacher writes a
 * chain of thought for each row, with the row's own repetition penalty (the file's expression,
 * evaluated per row); the judge checks it; rejected chains are written again, up to `retries`
 * more times. The first attempt decodes greedily (the recipe's inference default is temperature
 * 0); each retry samples at temperature 1 with a seed of its own, so it can differ. A row keeps
 * its accepted chain, or the last attempt with `cot_accepted: false`.
 */
export const RETRY_TEMPERATURE = 1;

export async function runDistill(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
  const backend = (await trainingBackend(ctx)).name;
  const p = paramsOf(node);
  const input = node.inputs[0];
  if (!input) throw new Error(`${node.name} has no rows to distill`);
  const read = await readRowsFile(rowsFile(ctx, input));
  const rows = read.map((r) => r.row);
  const retries = num(p["retries"], fieldDefault("distill", "retries") as number);
  const maxNew = num(p["max_new_tokens"], fieldDefault("distill", "max_new_tokens") as number);
  const penaltyExpr = p["repetition_penalty"] as unknown as RowExpr | undefined;
  const penalties = rows.map((r, i) => penaltyOf(penaltyExpr, r, i));
  const judge = p["judge"] === undefined || p["judge"] === null ? undefined : judgeOf(p["judge"], ctx);
  const seed = stageSeed(node, ctx);
  const teacher = await resolveModel(p["teacher"], ctx);
  const cot: string[] = rows.map(() => "");
  const accepted: boolean[] = rows.map(() => false);
  const attempts: number[] = rows.map(() => 0);
  try {
    let pending = rows.map((_, i) => i);
    for (let attempt = 0; attempt <= retries && pending.length > 0; attempt++) {
      if (ctx.signal.aborted) throw new Error("interrupted");
      const part = pending.map((i) => rows[i]!);
      const samples = await sampleCompletions(teacher, part, {
        temperature: attempt === 0 ? 0 : RETRY_TEMPERATURE, maxNew, seed: derivedSeed(seed, `distill:${attempt}`),
        penalties: pending.map((i) => penalties[i]!), where: node.name,
      });
      const chains = samples.map((s) => chainOf(s.text));
      const verdicts = judge ? await judge(part.map((r, k) => ({ ...r, cot: chains[k]!, completion: samples[k]!.text }))) : part.map(() => true);
      pending.forEach((i, k) => {
        cot[i] = chains[k]!;
        accepted[i] = verdicts[k]!;
        attempts[i] = attempt + 1;
      });
      pending = pending.filter((i) => !accepted[i]);
      ctx.emit({ type: "progress", node: node.name, done: rows.length - pending.length, total: rows.length });
    }
  } finally {
    teacher.dispose();
  }
  const out = path.join(ctx.scratch, "data.jsonl");
  // The fields added go into each row's text as read: numbers a double cannot hold keep their digits.
  await writeJsonl(out, read.map((r, i) => withFields(r.text, [["cot", cot[i]], ["cot_accepted", accepted[i]], ["cot_attempts", attempts[i]]])));
  const ok = accepted.filter(Boolean).length;
  const metrics = { rows: rows.length, accepted: ok, attempts: attempts.reduce((a, b) => a + b, 0), backend };
  return {
    outputs: [{ name: "data.jsonl", path: out }],
    metrics: JSON.stringify(metrics) + "\n",
    stdout: `distill: ${ok}/${rows.length} chains accepted in ${metrics.attempts} generations on ${backend}\n`,
    summary: `${ok}/${rows.length} chains accepted`,
    ...(ok < rows.length ? { warnings: [`${rows.length - ok} row${rows.length - ok === 1 ? "" : "s"} kept a rejected chain (cot_accepted: false) after ${retries + 1} attempts`] } : {}),
  };
}

/** The chain of thought in a completion: what is inside <think>...</think>, else the whole text. */
export function chainOf(completion: string): string {
  const m = /<think>([\s\S]*?)(?:<\/think>|$)/.exec(completion);
  return (m ? m[1]! : completion).trim();
}

function penaltyOf(expr: RowExpr | undefined, row: Row, i: number): number {
  if (!expr) return 1;
  const v = evalRow(expr, row);
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new Error(`row ${i + 1}: the repetition penalty is ${JSON.stringify(v)}; it must be a number above 0`);
  return v;
}

type Judge = (rows: readonly Record<string, unknown>[]) => Promise<boolean[]>;

/**
 * The judge as the `score` op runs a scorer (rule or command, the same construction as
 * data-runner's scorerOf); a chain passes when the scorer's output (`score` unless the judge names
 * one, as in `judge: j.ok`) is true or above 0.
 */
export function judgeOf(v: Canon, ctx: Pick<RunnerContext, "cwd" | "signal">): Judge {
  const o = obj(v);
  const [scorerValue, output] = "output" in o ? [o["scorer"] ?? null, str(o["output"], "score")] : [v, "score"];
  const scorer = scorerOf(scorerValue, ctx);
  return async (rows) => {
    const verdicts: boolean[] = [];
    async function* feed() {
      for (const r of rows) yield { row: r, text: JSON.stringify(r) };
    }
    for await (const s of scorer.run(feed())) {
      const x = s[output];
      verdicts.push(x === true || (typeof x === "number" && x > 0));
    }
    if (verdicts.length !== rows.length) throw new Error(`the judge answered ${verdicts.length} times for ${rows.length} chains`);
    return verdicts;
  };
}

