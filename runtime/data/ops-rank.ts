import { Heap } from "./heap.js";
import { forRow, SKIP, streamOp, wholeCount, type OpOptions, type OpResult } from "./op-common.js";
import { seededRandom } from "./prng.js";
import { numericField } from "./values.js";

interface Ranked {
  /** The row's text as read, which is what is written; the parsed row is not kept. */
  readonly text: string;
  readonly value: number;
  /** Position among the rows read, for stable ties. */
  readonly seq: number;
}

/** Lower value, or the same value later in the file: the first to go when a better row comes. */
const worse = (a: Ranked, b: Ranked): boolean => a.value < b.value || (a.value === b.value && a.seq > b.seq);

/**
 * The n rows with the largest `by`, largest first; rows with equal values keep their file order,
 * and among equal values at the cut the earlier rows stay. Memory holds n rows, not the file. A
 * row whose `by` is missing or not a number fails the op with its line.
 */
export function top(input: string, output: string, n: number, by: string, opts: OpOptions = {}): Promise<OpResult> {
  const limit = wholeCount("top's n", n);
  return streamOp(input, output, opts, async function* (reader) {
    if (limit === 0) return;
    const heap = new Heap<Ranked>(worse);
    let seq = 0;
    for await (const { row, text, line } of reader) {
      const value = forRow(reader, line, () => numericField(row, by));
      if (value === SKIP) continue;
      const item = { text, value, seq: seq++ };
      if (heap.size < limit) heap.push(item);
      else if (worse(heap.peek()!, item)) heap.replaceRoot(item);
    }
    const best = heap.toArray().sort((a, b) => b.value - a.value || a.seq - b.seq);
    for (const r of best) yield r.text;
  });
}

/**
 * n rows drawn uniformly without replacement (reservoir sampling), the same rows for the same seed
 * and file; written as read, in their input order, so a sample reads like the data it came from.
 * Fewer than n rows in the file means all of them.
 */
export function sample(input: string, output: string, n: number, seed: number, opts: OpOptions = {}): Promise<OpResult> {
  const limit = wholeCount("sample's n", n);
  const random = seededRandom(seed);
  return streamOp(input, output, opts, async function* (reader) {
    if (limit === 0) return;
    const reservoir: { text: string; seq: number }[] = [];
    let seen = 0;
    for await (const { text } of reader) {
      if (seen < limit) reservoir.push({ text, seq: seen });
      else {
        const j = Math.floor(random() * (seen + 1));
        if (j < limit) reservoir[j] = { text, seq: seen };
      }
      seen++;
    }
    reservoir.sort((a, b) => a.seq - b.seq);
    for (const r of reservoir) yield r.text;
  });
}
