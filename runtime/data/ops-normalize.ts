import { withFields } from "./json-text.js";
import { readJsonl } from "./jsonl.js";
import { forRow, SKIP, streamOp, type OpOptions, type OpResult } from "./op-common.js";
import { numericField } from "./values.js";

/**
 * Min-max normalises each field to [0, 1] over the whole file: a first pass finds the ranges, a
 * second writes the rows. A field with one value throughout becomes 0, not a division by zero.
 * Every row must have every field as a number; the first that does not fails the op with its line.
 */
export async function normalize(input: string, output: string, fields: readonly string[], opts: OpOptions = {}): Promise<OpResult> {
  const lo = fields.map(() => Infinity);
  const hi = fields.map(() => -Infinity);
  // A row passed over under "skip" is passed over in both passes, so it shapes no range.
  const first = readJsonl(input, opts);
  for await (const { row, line } of first) {
    const values = forRow(first, line, () => fields.map((f) => numericField(row, f)));
    if (values === SKIP) continue;
    values.forEach((v, i) => {
      if (v < lo[i]!) lo[i] = v;
      if (v > hi[i]!) hi[i] = v;
    });
  }
  return streamOp(input, output, opts, async function* (reader) {
    for await (const { row, text, line } of reader) {
      const scaled = forRow(reader, line, () =>
        fields.map((f, i): [string, number] => {
          // Read first, whatever the range: a row that cannot be used is one under either pass.
          const v = numericField(row, f);
          // In halves, which is exact, so a range wider than the largest double (-1e308 to 1e308)
          // does not overflow to Infinity.
          const span = hi[i]! / 2 - lo[i]! / 2;
          return [f, span > 0 ? (v / 2 - lo[i]! / 2) / span : 0];
        }),
      );
      if (scaled === SKIP) continue;
      // Spliced into the text read, so the fields not normalised keep every digit.
      yield withFields(text, scaled);
    }
  });
}
