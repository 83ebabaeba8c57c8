/**
 * Dedupe and the set operations match rows by one key field (see `keyOf`: 17 and "17" are the
 * same key, 12345678901234567891 and 12345678901234567892 are not). Each keeps a set of keys, never
 * rows, so memory grows with distinct keys only. Rows are written as the text they were read as.
 */
import { readJsonl, writeJsonl, type JsonlReader } from "./jsonl.js";
import { forRow, resultOf, SKIP, skipsOf, streamOp, type OpInput, type OpOptions, type OpResult, type PairResult } from "./op-common.js";
import { keyOf } from "./values.js";

/** The first row of each key, in file order. */
export function dedupe(input: string, output: string, by: string, opts: OpOptions = {}): Promise<OpResult> {
  return streamOp(input, output, opts, async function* (reader) {
    const seen = new Set<string>();
    for await (const { row, text, line } of reader) {
      const key = forRow(reader, line, () => keyOf(row, text, by));
      if (key === SKIP || seen.has(key)) continue;
      seen.add(key);
      yield text;
    }
  });
}

/**
 * Every row of a, then the rows of b whose key is not among a's. Repeats within a side stay.
 * Each input is read under its own `onError`.
 */
export async function union(a: OpInput, b: OpInput, output: string, by = "id"): Promise<PairResult> {
  const left = readJsonl(a.file, a);
  const right = readJsonl(b.file, b);
  const rows = await writeJsonl(output, (async function* () {
    const keys = new Set<string>();
    for await (const { row, text, line } of left) {
      const key = forRow(left, line, () => keyOf(row, text, by));
      if (key === SKIP) continue;
      keys.add(key);
      yield text;
    }
    for await (const { row, text, line } of right) {
      const key = forRow(right, line, () => keyOf(row, text, by));
      if (key !== SKIP && !keys.has(key)) yield text;
    }
  })());
  return pair(rows, left, right);
}

/** Rows of a whose key is also in b, in a's order. Each input is read under its own `onError`. */
export function intersect(a: OpInput, b: OpInput, output: string, by = "id"): Promise<PairResult> {
  return filterByKeys(a, b, output, by, true);
}

/** Rows of a whose key is not in b, in a's order. Each input is read under its own `onError`. */
export function minus(a: OpInput, b: OpInput, output: string, by = "id"): Promise<PairResult> {
  return filterByKeys(a, b, output, by, false);
}

async function filterByKeys(a: OpInput, b: OpInput, output: string, by: string, keep: boolean): Promise<PairResult> {
  const right = readJsonl(b.file, b);
  const keys = new Set<string>();
  for await (const { row, text, line } of right) {
    const key = forRow(right, line, () => keyOf(row, text, by));
    if (key !== SKIP) keys.add(key);
  }
  const left = readJsonl(a.file, a);
  const rows = await writeJsonl(output, (async function* () {
    for await (const { row, text, line } of left) {
      const key = forRow(left, line, () => keyOf(row, text, by));
      if (key !== SKIP && keys.has(key) === keep) yield text;
    }
  })());
  return pair(rows, left, right);
}

function pair(rows: number, left: JsonlReader, right: JsonlReader): PairResult {
  return { ...resultOf(rows, left.report), other: skipsOf(right.report) };
}
