import type { RowExpr } from "../../src/ir/row-expr.js";
import { RowError } from "./errors.js";
import { forRow, ofRows, streamOp, wholeCount, type OpOptions, type OpResult } from "./op-common.js";
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

/** The first floor(f * rows) rows (see ofRows). */
export function takeFraction(input: string, output: string, f: number, opts: OpOptions = {}): Promise<OpResult> {
  return ofRows(input, f, opts, (n) => take(input, output, n, opts));
}
