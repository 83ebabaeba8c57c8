import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fieldDefault } from "../../../src/check/schema.js";
import type { IrNode } from "../../../src/ir/ir.js";
import { withFields } from "../../data/json-text.js";
import type { NodeOutcome, RunnerContext } from "../../runner.js";
import { startingModel } from "./artifact.js";
import { answerOf, boxedAnswer } from "./examples.js";
import { greedy } from "./generate.js";
import { num, paramsOf, readDataRows } from "./params.js";
import { trainingBackend } from "./setup.js";

/** Output names of an eval; the `.failures` and `.successes` data nodes hand these on as their rows. */
export const FAILURES = "failures.jsonl";
export const SUCCESSES = "successes.jsonl";
export const EVAL_METRICS = "metrics.json";

export interface EvalMetrics {
  readonly stage: string;
  readonly rows: number;
  readonly correct: number;
  readonly accuracy: number;
  readonly backend: string;
  readonly fingerprint: string;
  readonly max_new_tokens: number;
  readonly seconds: number;
}

/**
 * Greedy generation for every row, the last `\boxed{}` of the completion compared with the row's
 * answer (both trimmed). Each row goes to failures or successes with `prediction`, `completion`
 * and `correct` added, in input order.
 */
export async function runEval(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
  const backend = (await trainingBackend(ctx)).name;
  const p = paramsOf(node);
  const t0 = performance.now();
  const read = await readDataRows(ctx, node);
  const rows = read.map((r) => r.row);
  const model = await startingModel(p, ctx);
  const maxNew = num(p["max_new_tokens"], fieldDefault("eval", "max_new_tokens") as number);
  const batch = 32;
  const fails: string[] = [];
  const wins: string[] = [];
  try {
    for (let at = 0; at < rows.length; at += batch) {
      if (ctx.signal.aborted) throw new Error("interrupted");
      const part = rows.slice(at, at + batch);
      const completions = await greedy(model, part, maxNew, batch, node.name);
      part.forEach((row, i) => {
        const completion = completions[i]!;
        const prediction = boxedAnswer(completion) ?? null;
        const correct = prediction !== null && prediction === answerOf(row);
        // Added to the row's text as read: numbers a double cannot hold keep their digits.
        (correct ? wins : fails).push(withFields(read[at + i]!.text, [["completion", completion], ["prediction", prediction], ["correct", correct]]));
      });
      ctx.emit({ type: "progress", node: node.name, done: Math.min(rows.length, at + batch), total: rows.length });
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    model.dispose();
  }
  const metrics: EvalMetrics = {
    stage: node.name, rows: rows.length, correct: wins.length, accuracy: wins.length / rows.length, backend,
    fingerprint: ctx.fingerprint ?? "", max_new_tokens: maxNew, seconds: (performance.now() - t0) / 1000,
  };
  const file = (n: string) => path.join(ctx.scratch, n);
  const lines = (xs: string[]) => (xs.length ? xs.join("\n") + "\n" : "");
  await writeFile(file(FAILURES), lines(fails));
  await writeFile(file(SUCCESSES), lines(wins));
  await writeFile(file(EVAL_METRICS), JSON.stringify(metrics, null, 2) + "\n");
  return {
    outputs: [FAILURES, SUCCESSES, EVAL_METRICS].map((name) => ({ name, path: file(name) })),
    metrics: JSON.stringify(metrics) + "\n",
    stdout: `accuracy ${(metrics.accuracy * 100).toFixed(1)}% (${wins.length}/${rows.length}) on ${backend}\n`,
    summary: `accuracy ${(metrics.accuracy * 100).toFixed(1)}% (${wins.length}/${rows.length})`,
  };
}
