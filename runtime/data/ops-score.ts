import { RowError } from "./errors.js";
import { withFields } from "./json-text.js";
import type { JsonlRow } from "./jsonl.js";
import { streamOp, type OpOptions, type OpResult } from "./op-common.js";

/**
 * Scores rows: given the rows in order, produces one score object per row, in the same order.
 * Streaming on both sides lets an external program work through a file larger than memory.
 */
export interface Scorer {
  run(rows: AsyncIterable<ScorerRow>): AsyncIterable<Record<string, unknown>>;
}

/**
 * A row to score: parsed, for a scorer that reads fields here, and as JSON text, which is what an
 * external scorer is sent: the text read, so it sees every digit the file has (a parsed row's
 * numbers are doubles).
 */
export interface ScorerRow {
  readonly row: Readonly<Record<string, unknown>>;
  readonly text: string;
}

/** Which output of the scorer's objects is stored in which row field: `score(rm: judge.score)`. */
export interface ScoreField {
  readonly field: string;
  readonly output: string;
}

/**
 * Adds scorer outputs to each row: `row[field] = scoreObject[output]`, spliced into the row's text.
 * The rows sent and not yet answered wait in a queue, whose length is bounded by the scorer's own
 * buffering (for a command, the pipes), not by the file. A scorer that answers fewer or more times
 * than there are rows, or whose answer lacks an output, fails the op at the row concerned.
 */
export function score(input: string, output: string, fields: readonly ScoreField[], scorer: Scorer, opts: OpOptions = {}): Promise<OpResult> {
  return streamOp(input, output, opts, async function* (reader) {
    const source = reader[Symbol.asyncIterator]();
    const waiting = new Fifo<JsonlRow>();
    let sourceDone = false;
    let lastLine = 0;
    const feed = async function* () {
      for (;;) {
        const next = await source.next();
        if (next.done) {
          sourceDone = true;
          return;
        }
        waiting.push(next.value);
        yield next.value;
      }
    };
    try {
      for await (const scores of scorer.run(feed())) {
        const sent = waiting.shift();
        if (!sent) {
          // Before any row went out, it answered without reading (a program that ignores stdin).
          if (lastLine === 0) throw new RowError("the scorer wrote a result before it was sent any row: it must read the rows on its standard input and answer each, in order");
          throw new RowError(`the scorer returned more results than there are rows (an extra one after this row)`, undefined, { file: input, line: lastLine });
        }
        lastLine = sent.line;
        const added = fields.map(({ field, output: out }): [string, unknown] => {
          if (!Object.hasOwn(scores, out)) {
            const has = Object.keys(scores).join(", ") || "nothing";
            throw new RowError(`the scorer's result for this row has no '${out}' (it has ${has})`, out, { file: input, line: sent.line });
          }
          return [field, scores[out]];
        });
        // Spliced into the text read, so the row's own fields keep every digit.
        yield withFields(sent.text, added);
      }
      // Answers ended: every row read must have had one, and there must be no row left unread.
      let unanswered = waiting.first();
      if (!unanswered && !sourceDone) {
        const next = await source.next();
        if (!next.done) unanswered = next.value;
      }
      if (unanswered) throw new RowError("the scorer returned no result for this row", undefined, { file: input, line: unanswered.line });
    } finally {
      await source.return?.();
    }
  });
}

/**
 * A queue with O(1) removal at the front. Array.shift copies the array once it is large, and a
 * fast program can be thousands of rows ahead of its answers.
 */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  push(x: T): void {
    this.items.push(x);
  }

  first(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    const x = this.items[this.head];
    if (x === undefined) return undefined;
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}
