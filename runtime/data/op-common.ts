import { placeRowError } from "./errors.js";
import { readJsonl, writeJsonl, type JsonlReader, type OnError, type ReadReport, type RowOut } from "./jsonl.js";

export interface OpOptions {
  /** What a malformed input line does: "fail" (the default) stops the op, "skip" counts it. */
  readonly onError?: OnError;
}

/** What an op did: rows written, and the malformed lines of its (first) input that were skipped. */
export interface OpResult {
  readonly rows: number;
  readonly skipped: number;
  /** The first 100 skipped line numbers, ascending. */
  readonly badLines: readonly number[];
}

/**
 * One input of an op over two files. Each carries its own policy for malformed lines, since the two
 * are often different datasets: one scraped and skippable, the other curated and meant to fail loudly.
 */
export interface OpInput extends OpOptions {
  readonly file: string;
}

/** An op over two files: `skipped` and `badLines` are the first input's, `other` the second's. */
export interface PairResult extends OpResult {
  readonly other: { readonly skipped: number; readonly badLines: readonly number[] };
}

export function resultOf(rows: number, report: ReadReport): OpResult {
  return { rows, skipped: report.skipped, badLines: [...report.badLines] };
}

/** The common shape of a one-pass op: read the input, transform the stream, write the output. */
export async function streamOp(
  input: string,
  output: string,
  opts: OpOptions,
  body: (rows: JsonlReader) => AsyncIterable<RowOut>,
): Promise<OpResult> {
  const reader = readJsonl(input, opts);
  const rows = await writeJsonl(output, body(reader));
  return resultOf(rows, reader.report);
}

/** Runs the work for one row, placing any RowError it throws at that row. */
export function atRow<T>(file: string, line: number, work: () => T): T {
  try {
    return work();
  } catch (e) {
    throw placeRowError(e, file, line);
  }
}

/** Counts checked at the boundary: a bad count is a bug in the caller, not in the data. */
export function wholeCount(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number of rows, not ${n}`);
  return n;
}
