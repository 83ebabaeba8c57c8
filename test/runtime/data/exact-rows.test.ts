import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { take, takeFraction, where } from "../../../runtime/data/ops-filter.js";
import { dedupe, intersect, minus, union } from "../../../runtime/data/ops-keys.js";
import { normalize } from "../../../runtime/data/ops-normalize.js";
import { sample, top } from "../../../runtime/data/ops-rank.js";
import { commandScorer } from "../../../runtime/data/command-scorer.js";
import { score, type Scorer } from "../../../runtime/data/ops-score.js";
import { bin, f, k, tempDir, writeRows } from "./helpers.js";

/**
 * Rows go through the transforms as the text they were read as: JSON.parse would turn the first id
 * into 12345678901234567000 (merging the two ids), 1e400 into Infinity (written as null) and 1.0 into 1.
 */
const tmp = tempDir("exact");
afterAll(() => tmp.cleanup());

let n = 0;
const out = (): string => tmp.file(`out-${n++}.jsonl`);
const lines = (file: string): string[] => readFileSync(file, "utf8").split("\n").slice(0, -1);

const BIG = ['{"id":12345678901234567891,"x":1e400}', '{"id":12345678901234567892,"x":3}'];
const big = writeRows(tmp.file("big.jsonl"), BIG);
// Spacing, a CRLF ending and spellings JSON.stringify would change.
const ODD = ['{ "id" : 1.0, "q": 2.50, "s": "\\u00e9" }', '{"id":2,"q":1E1,"t":[1.0, -0]}\r', '{"id":3,"q":5,"x":1e400}'];
const odd = writeRows(tmp.file("odd.jsonl"), ODD);
const oddLines = ODD.map((l) => l.replace(/\r$/, ""));

describe("rows kept by a filter are written as read", () => {
  it("where", async () => {
    const o = out();
    expect((await where(big, o, bin(">=", f("id"), k(0)))).rows).toBe(2);
    expect(lines(o)).toEqual(BIG);
    const p = out();
    await where(odd, p, bin(">", f("q"), k(2)));
    expect(lines(p)).toEqual(oddLines);
  });

  it("take, takeFraction, top and sample", async () => {
    const [t, tf, tp, s] = [out(), out(), out(), out()];
    await take(odd, t, 2);
    await takeFraction(odd, tf, 1);
    await top(odd, tp, 3, "q");
    await sample(odd, s, 5, 7);
    expect(lines(t)).toEqual(oddLines.slice(0, 2));
    expect(lines(tf)).toEqual(oddLines);
    // Largest q first: 10 (1E1), 5, 2.5.
    expect(lines(tp)).toEqual([oddLines[1], oddLines[2], oddLines[0]]);
    expect(lines(s)).toEqual(oddLines);
  });
});

describe("keys compare exact values", () => {
  it("dedupe keeps two ids that one double would merge, and merges two spellings of one value", async () => {
    const o = out();
    expect((await dedupe(big, o, "id")).rows).toBe(2);
    expect(lines(o)).toEqual(BIG);
    const same = writeRows(tmp.file("same.jsonl"), ['{"id":1.0,"v":"a"}', '{"id":1,"v":"b"}', '{"id":"1","v":"c"}', '{"id":10e-1,"v":"d"}']);
    const p = out();
    expect((await dedupe(same, p, "id")).rows).toBe(1);
    expect(lines(p)).toEqual(['{"id":1.0,"v":"a"}']);
  });

  it("union, intersect and minus match big ids exactly and write rows as read", async () => {
    const other = writeRows(tmp.file("other.jsonl"), ['{"id":12345678901234567892}', '{"id":"12345678901234567893","y":1.0}']);
    const [u, i, m] = [out(), out(), out()];
    await union({ file: big }, { file: other }, u);
    await intersect({ file: big }, { file: other }, i);
    await minus({ file: big }, { file: other }, m);
    expect(lines(u)).toEqual([...BIG, '{"id":"12345678901234567893","y":1.0}']);
    expect(lines(i)).toEqual([BIG[1]]);
    expect(lines(m)).toEqual([BIG[0]]);
  });
});

describe("transforms that set fields keep the digits of the others", () => {
  it("normalize", async () => {
    const o = out();
    await normalize(odd, o, ["q"]);
    expect(lines(o)).toEqual([
      '{ "id" : 1.0, "q": 0, "s": "\\u00e9" }',
      '{"id":2,"q":1,"t":[1.0, -0]}',
      '{"id":3,"q":0.3333333333333333,"x":1e400}',
    ]);
  });

  it("score", async () => {
    const half: Scorer = {
      async *run(rows) {
        for await (const { row } of rows) yield { score: Number(row["x"]) / 2 };
      },
    };
    const o = out();
    await score(big, o, [{ field: "half", output: "score" }, { field: "x2", output: "score" }], half);
    expect(lines(o)).toEqual([
      // Infinity / 2 has no JSON: null, as JSON.stringify writes it.
      '{"id":12345678901234567891,"x":1e400,"half":null,"x2":null}',
      '{"id":12345678901234567892,"x":3,"half":1.5,"x2":1.5}',
    ]);
  });

  it("an external scorer is sent each row's text as the file has it", async () => {
    // Answers with the line it was sent, as a string: what it saw, digit for digit.
    const echo = commandScorer([process.execPath, "-e", `require("readline").createInterface({ input: process.stdin }).on("line", (l) => console.log(JSON.stringify({ score: l })));`]);
    const o = out();
    await score(odd, o, [{ field: "seen", output: "score" }], echo);
    expect(lines(o).map((l) => (JSON.parse(l) as { seen: string }).seen)).toEqual(oddLines);
    const b = out();
    await score(big, b, [{ field: "seen", output: "score" }], echo);
    expect(lines(b).map((l) => (JSON.parse(l) as { seen: string }).seen)).toEqual(BIG);
  });
});
