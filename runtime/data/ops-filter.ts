import type { RowExpr } from "../../src/ir/row-expr.js";
import { RowError } from "./errors.js";
import { readJsonl } from "./jsonl.js";
import { forRow, streamOp, wholeCount, type OpOptions, type OpResult } from "./op-common.js";
import { evalRow } from "./row-eval.js";
import { show } from "./values.js";

/**
 * Rows for which the predicate holds, written as the text they were read as: the predicate reads
 * numbers as doubles, but a row it keeps must not lose the digits a double cannot hold.
 */
export function where(input: string, output: string, predicate: RowExpr, opts: OpOptions = {}): Promise<OpResult> {
  return streamOp(input, output, opts, async function* (reader) {
    for await (const { row, text, line } of reader) {
      if (forRow(reader, line, () => holds(predicate, row)) === true) yield text;
    }
  });
}

function holds(predicate: RowExpr, row: Readonly<Record<string, unknown>>): boolean {
  const v = evalRow(predicate, row);
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  throw new RowError(`'where' needs true or false, and the condition gave ${show(v)}`);
}

/** The first n rows, as read. Reading stops after the n-th, so nothing beyond it is read or checked. */
export function take(input: string, output: string, n: number, opts: OpOptions = {}): Promise<OpResult> {
  const limit = wholeCount("take's n", n);
  return streamOp(input, output, opts, async function* (reader) {
    if (limit === 0) return;
    let taken = 0;
    for await (const { text } of reader) {
      yield text;
      if (++taken >= limit) return;
    }
  });
}

/**
 * The first floor(f * rows) rows, as the checker estimates it. The row count needs a pass of its
 * own, which parses every line: under "fail" a malformed line anywhere fails the op, even past
 * the rows taken, and under "skip" malformed lines are not counted as rows.
 */
export async function takeFraction(input: string, output: string, f: number, opts: OpOptions = {}): Promise<OpResult> {
  if (!(f >= 0 && f <= 1)) throw new RangeError(`takeFraction's f must be within [0, 1], not ${f}`);
  const counter = readJsonl(input, opts);
  for await (const _ of counter) {
    // Only the count matters.
  }
  // 29% of 100 is 28.999999999999996 in floating point; the nudge makes it the 29 a person means.
  const n = Math.floor(counter.report.rows * f * (1 + 1e-12));
  const result = await take(input, output, n, opts);
  // The second pass may stop early; the counting pass saw every malformed line.
  return { rows: result.rows, skipped: counter.report.skipped, badLines: [...counter.report.badLines] };
}
