import { placeRowError, RowError } from "./errors.js";
import { readJsonl, writeJsonl, type JsonlReader, type OnError, type ReadReport, type RowOut } from "./jsonl.js";

export interface OpOptions {
  /** What a malformed input line does: "fail" (the default) stops the op, "skip" counts it. */
  readonly onError?: OnError;
}

/** What an op did: rows written, and the lines of its (first) input that were skipped. */
export interface OpResult extends Skips {
  readonly rows: number;
}

/** Lines of one input passed over under "skip" (see ReadReport). */
export interface Skips {
  readonly skipped: number;
  /** The first 100 skipped line numbers, ascending. */
  readonly badLines: readonly number[];
  /** How many of them were rows the transform could not use, and the first; absent when none. */
  readonly unfit?: number;
  readonly firstUnfit?: { readonly line: number; readonly reason: string };
}

/**
 * One input of an op over two files. Each carries its own policy for malformed lines, since the two
 * are often different datasets: one scraped and skippable, the other curated and meant to fail loudly.
 */
export interface OpInput extends OpOptions {
  readonly file: string;
}

/** An op over two files: the skips are the first input's, `other` the second's. */
export interface PairResult extends OpResult {
  readonly other: Skips;
}

export function resultOf(rows: number, report: ReadReport): OpResult {
  return { rows, ...skipsOf(report) };
}

export function skipsOf(report: ReadReport): Skips {
  return { skipped: report.skipped, badLines: [...report.badLines], ...(report.unfit ? { unfit: report.unfit } : {}), ...(report.firstUnfit ? { firstUnfit: report.firstUnfit } : {}) };
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

/** What `forRow` returns for a row passed over under on_error "skip". */
export const SKIP: unique symbol = Symbol("skip");

/**
 * Runs the work for one row `reader` yielded. A row that does not fit (a RowError: a field missing,
 * text where a number belongs) fails the op at its line, or, when the input's on_error is "skip",
 * is counted with the skipped lines and SKIP returned.
 */
export function forRow<T>(reader: JsonlReader, line: number, work: () => T): T | typeof SKIP {
  try {
    return work();
  } catch (e) {
    if (e instanceof RowError && reader.pass(line, e.reason)) return SKIP;
    throw placeRowError(e, reader.report.file, line);
  }
}

/**
 * An op given a fraction of the rows (`take(10%)`, `top(50%, by: q)`): a counting pass, which parses
 * every line, then the op with n = floor(f * rows). Under "fail" a malformed line anywhere fails it,
 * even past the rows taken; under "skip" malformed lines are not rows. The skips are the counting
 * pass's malformed lines (the op's own pass may stop early) and the rows the op could not use.
 */
export async function ofRows(input: string, f: number, opts: OpOptions, op: (n: number) => Promise<OpResult>): Promise<OpResult> {
  if (!(f >= 0 && f <= 1)) throw new RangeError(`a fraction of the rows must be within [0, 1], not ${f}`);
  const counter = readJsonl(input, opts);
  for await (const _ of counter) {
    // Only the count matters.
  }
  // 29% of 100 is 28.999999999999996 in floating point; the nudge makes it the 29 a person means.
  const r = await op(Math.floor(counter.report.rows * f * (1 + 1e-12)));
  const counted = skipsOf(counter.report);
  const unfit = r.unfit ?? 0;
  if (!unfit) return { rows: r.rows, ...counted };
  const badLines = [...new Set([...counted.badLines, ...r.badLines])].sort((a, b) => a - b).slice(0, 100);
  return { rows: r.rows, skipped: counted.skipped + unfit, badLines, unfit, ...(r.firstUnfit ? { firstUnfit: r.firstUnfit } : {}) };
}

/** Counts checked at the boundary: a bad count is a bug in the caller, not in the data. */
export function wholeCount(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number of rows, not ${n}`);
  return n;
}
