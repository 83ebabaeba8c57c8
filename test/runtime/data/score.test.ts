import { afterAll, describe, expect, it } from "vitest";
import { commandScorer } from "../../../runtime/data/command-scorer.js";
import { DataError, RowError, ScorerError } from "../../../runtime/data/errors.js";
import { score, type Scorer } from "../../../runtime/data/ops-score.js";
import { readRows, tempDir, writeRows } from "./helpers.js";

const tmp = tempDir("score");
afterAll(() => tmp.cleanup());

let n = 0;
const out = (): string => tmp.file(`out-${n++}.jsonl`);
const node = (script: string): Scorer => commandScorer([process.execPath, "-e", script]);

/** Answers each row as it is read, with the length of its text. */
const LEN = `
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (l) => { if (l.trim()) process.stdout.write(JSON.stringify({ score: String(JSON.parse(l).text).length }) + "\\n"); });
`;

/** Reads everything before answering anything, with bulky answers: a writer that does not read would deadlock. */
const SLURP = `
let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (buf += d));
process.stdin.on("end", () => {
  const out = buf.split("\\n").filter((l) => l.trim()).map((l) => JSON.stringify({ score: JSON.parse(l).id, pad: "x".repeat(40) }) + "\\n");
  process.stdout.write(out.join(""));
});
`;

/** Fully synchronous, like a Python script: blocks on a full stdout, so it stops reading until answers are read. */
const BLOCKING = `
const fs = require("fs");
const buf = Buffer.alloc(65536);
let rest = "";
for (;;) {
  const got = fs.readSync(0, buf, 0, buf.length, null);
  if (got === 0) break;
  const parts = (rest + buf.toString("utf8", 0, got)).split("\\n");
  rest = parts.pop();
  for (const l of parts) if (l.trim()) fs.writeSync(1, JSON.stringify({ score: JSON.parse(l).id * 2 }) + "\\n");
}
`;

const texts = writeRows(tmp.file("texts.jsonl"), [{ id: 1, text: "a" }, { id: 2, text: "hello" }, "not json", { id: 3, text: "" }]);

function bigFile(name: string, rows: number): string {
  return writeRows(tmp.file(name), Array.from({ length: rows }, (_, i) => ({ id: i, text: `row ${i} `.padEnd(60, "y") })));
}

describe("score with a command scorer", () => {
  it("adds the program's score to each row, in order", async () => {
    const o = out();
    const r = await score(texts, o, [{ field: "len", output: "score" }], node(LEN), { onError: "skip" });
    expect(r).toEqual({ rows: 3, skipped: 1, badLines: [3] });
    expect(readRows(o)).toEqual([
      { id: 1, text: "a", len: 1 },
      { id: 2, text: "hello", len: 5 },
      { id: 3, text: "", len: 0 },
    ]);
  });

  it("does not deadlock on a large input when the program answers only after reading it all", async () => {
    const o = out();
    const rows = 60_000; // about 5 MB in and 3 MB out: far beyond the pipes' buffers
    const r = await score(bigFile("big-slurp.jsonl", rows), o, [{ field: "s", output: "score" }], node(SLURP));
    expect(r.rows).toBe(rows);
    const got = readRows(o);
    expect(got.every((row, i) => row["s"] === i)).toBe(true);
  });

  it("streams through a blocking program with only a pipe's worth of rows in flight", async () => {
    const rows = 60_000;
    const inner = node(BLOCKING);
    let sent = 0;
    let answered = 0;
    let most = 0;
    const counting: Scorer = {
      async *run(input) {
        const tap = async function* () {
          for await (const row of input) {
            sent++;
            most = Math.max(most, sent - answered);
            yield row;
          }
        };
        for await (const s of inner.run(tap())) {
          answered++;
          yield s;
        }
      },
    };
    const o = out();
    expect((await score(bigFile("big-blocking.jsonl", rows), o, [{ field: "d", output: "score" }], counting)).rows).toBe(rows);
    expect(readRows(o).every((row, i) => row["d"] === 2 * i)).toBe(true);
    expect(most).toBeLessThan(rows / 3);
  });

  it("fails with the exit code and the last lines of stderr when the program exits non-zero", async () => {
    const script = `process.stdin.resume(); process.stdin.on("end", () => { console.error("loading model"); console.error("boom: bad weights"); process.exit(1); });`;
    const e = await score(texts, out(), [{ field: "s", output: "score" }], node(script), { onError: "skip" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScorerError);
    const s = e as ScorerError;
    expect(s.exitCode).toBe(1);
    expect(s.stderrTail).toEqual(["loading model", "boom: bad weights"]);
    expect(s.message).toContain("exited with code 1");
    expect(s.message).toContain("boom: bad weights");
  });

  it("fails at the first unanswered row when the program answers fewer rows", async () => {
    const script = `
      const rl = require("readline").createInterface({ input: process.stdin });
      let i = 0;
      rl.on("line", () => { if (i++ < 2) console.log(JSON.stringify({ score: i })); });`;
    const e = await score(texts, out(), [{ field: "s", output: "score" }], node(script), { onError: "skip" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RowError);
    expect((e as RowError).location).toEqual({ file: texts, line: 4 });
    expect((e as RowError).reason).toContain("no result");
  });

  it("fails when the program answers more rows than it was given", async () => {
    const script = `
      const rl = require("readline").createInterface({ input: process.stdin });
      rl.on("line", () => { console.log('{"score":1}'); console.log('{"score":2}'); });`;
    const e = await score(texts, out(), [{ field: "s", output: "score" }], node(script), { onError: "skip" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RowError);
    expect((e as RowError).reason).toContain("more results");
  });

  it("fails saying so when the program answers before it is sent a row (it does not read its input)", async () => {
    const deaf: Scorer = {
      async *run() {
        yield { score: 1 };
      },
    };
    const e = await score(texts, out(), [{ field: "s", output: "score" }], deaf).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RowError);
    expect((e as RowError).reason).toBe("the scorer wrote a result before it was sent any row: it must read the rows on its standard input and answer each, in order");
    expect((e as RowError).location).toBeUndefined();
  });

  it("fails with the row's line when an answer lacks the output field", async () => {
    const e = await score(texts, out(), [{ field: "q", output: "quality" }], node(LEN), { onError: "skip" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RowError);
    expect(e).toMatchObject({ field: "quality", location: { file: texts, line: 1 } });
  });

  it("fails when the program writes something that is not a JSON object", async () => {
    const script = `process.stdin.resume(); console.log("score: 4");`;
    const e = await score(texts, out(), [{ field: "s", output: "score" }], node(script), { onError: "skip" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScorerError);
    expect((e as ScorerError).message).toContain("not a JSON object");
  });

  it("reports a malformed input row rather than the program it had to stop", async () => {
    const e = await score(texts, out(), [{ field: "len", output: "score" }], node(LEN), { onError: "fail" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect(e).toMatchObject({ file: texts, line: 3 });
  });

  it("fails with a ScorerError when the program cannot be started", async () => {
    const scorer = commandScorer(["/nonexistent/stagecraft-scorer"]);
    const e = await score(texts, out(), [{ field: "s", output: "score" }], scorer, { onError: "skip" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScorerError);
    expect((e as ScorerError).exitCode).toBeUndefined();
  });

  it("passes cwd and env to the program", async () => {
    const script = `
      const rl = require("readline").createInterface({ input: process.stdin });
      rl.on("line", () => console.log(JSON.stringify({ cwd: process.cwd(), tag: process.env.SC_TAG })));`;
    const scorer = commandScorer([process.execPath, "-e", script], { cwd: tmp.dir, env: { SC_TAG: "t1" } });
    const o = out();
    await score(texts, o, [{ field: "cwd", output: "cwd" }, { field: "tag", output: "tag" }], scorer, { onError: "skip" });
    const rows = readRows(o);
    expect(rows.map((r) => r["tag"])).toEqual(["t1", "t1", "t1"]);
    expect(typeof rows[0]?.["cwd"]).toBe("string");
    expect(String(rows[0]?.["cwd"]).endsWith(tmp.dir.split("/").pop()!)).toBe(true);
  });
});
