/**
 * Dedupe and the set operations match rows by one key field (see `keyOf`: 17 and "17" are the
 * same key). Each keeps a set of keys, never rows, so memory grows with distinct keys only.
 */
import { readJsonl, writeJsonl, type JsonlReader } from "./jsonl.js";
import { atRow, resultOf, streamOp, type OpOptions, type OpResult, type PairResult } from "./op-common.js";
import { keyOf } from "./values.js";

/** The first row of each key, in file order. */
export function dedupe(input: string, output: string, by: string, opts: OpOptions = {}): Promise<OpResult> {
  return streamOp(input, output, opts, async function* (reader) {
    const seen = new Set<string>();
    for await (const { row, line } of reader) {
      const key = atRow(input, line, () => keyOf(row, by));
      if (seen.has(key)) continue;
      seen.add(key);
      yield row;
    }
  });
}

/** Every row of a, then the rows of b whose key is not among a's. Repeats within a side stay. */
export async function union(a: string, b: string, output: string, by = "id", opts: OpOptions = {}): Promise<PairResult> {
  const left = readJsonl(a, opts);
  const right = readJsonl(b, opts);
  const rows = await writeJsonl(output, (async function* () {
    const keys = new Set<string>();
    for await (const { row, line } of left) {
      keys.add(atRow(a, line, () => keyOf(row, by)));
      yield row;
    }
    for await (const { row, line } of right) {
      if (!keys.has(atRow(b, line, () => keyOf(row, by)))) yield row;
    }
  })());
  return pair(rows, left, right);
}

/** Rows of a whose key is also in b, in a's order. */
export function intersect(a: string, b: string, output: string, by = "id", opts: OpOptions = {}): Promise<PairResult> {
  return filterByKeys(a, b, output, by, opts, true);
}

/** Rows of a whose key is not in b, in a's order. */
export function minus(a: string, b: string, output: string, by = "id", opts: OpOptions = {}): Promise<PairResult> {
  return filterByKeys(a, b, output, by, opts, false);
}

async function filterByKeys(a: string, b: string, output: string, by: string, opts: OpOptions, keep: boolean): Promise<PairResult> {
  const right = readJsonl(b, opts);
  const keys = new Set<string>();
  for await (const { row, line } of right) keys.add(atRow(b, line, () => keyOf(row, by)));
  const left = readJsonl(a, opts);
  const rows = await writeJsonl(output, (async function* () {
    for await (const { row, line } of left) {
      if (keys.has(atRow(a, line, () => keyOf(row, by))) === keep) yield row;
    }
  })());
  return pair(rows, left, right);
}

function pair(rows: number, left: JsonlReader, right: JsonlReader): PairResult {
  return { ...resultOf(rows, left.report), other: { skipped: right.report.skipped, badLines: [...right.report.badLines] } };
}
