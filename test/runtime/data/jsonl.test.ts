import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DataError } from "../../../runtime/data/errors.js";
import { MAX_BAD_LINES, readJsonl, writeJsonl, type JsonlRow } from "../../../runtime/data/jsonl.js";
import { readRows, tempDir, writeRows } from "./helpers.js";

const tmp = tempDir("jsonl");
afterAll(() => tmp.cleanup());

async function collect(it: AsyncIterable<JsonlRow>): Promise<JsonlRow[]> {
  const out: JsonlRow[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe("readJsonl", () => {
  it("yields rows with 1-based line numbers, passing over blank lines", async () => {
    const file = tmp.file("blank.jsonl");
    writeFileSync(file, '{"id":1}\n\n   \r\n{"id":2}\r\n{"id":3}');
    const rows = await collect(readJsonl(file));
    expect(rows).toEqual([
      { row: { id: 1 }, text: '{"id":1}', line: 1 },
      { row: { id: 2 }, text: '{"id":2}', line: 4 },
      { row: { id: 3 }, text: '{"id":3}', line: 5 },
    ]);
  });

  it("keeps each row's text as it was, for digits and spellings a double loses", async () => {
    const lines = ['{"id":12345678901234567891,"x":1e400}', '  { "id" : 1.0, "s": "\\u00e9" }\t', '{"n":-0,"big":[1E+2,0.10]}'];
    const file = writeRows(tmp.file("exact.jsonl"), lines);
    const rows = await collect(readJsonl(file));
    expect(rows.map((r) => r.text)).toEqual(lines);
    // The parsed row is what predicates read: doubles.
    expect(rows[0]!.row).toEqual({ id: 12345678901234567000, x: Infinity });
  });

  it("under skip, counts malformed lines and keeps their numbers", async () => {
    const file = writeRows(tmp.file("bad.jsonl"), [{ id: 1 }, "{not json", { id: 2 }, "[1,2]", "7", "null", { id: 3 }]);
    const reader = readJsonl(file, { onError: "skip" });
    const rows = await collect(reader);
    expect(rows.map((r) => r.line)).toEqual([1, 3, 7]);
    expect(reader.report).toMatchObject({ rows: 3, skipped: 4, badLines: [2, 4, 5, 6] });
  });

  it("under fail, throws a DataError naming the file and line", async () => {
    const file = writeRows(tmp.file("fail.jsonl"), [{ id: 1 }, { id: 2 }, '{"id": 3,']);
    const err = await collect(readJsonl(file, { onError: "fail" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    const d = err as DataError;
    expect(d.file).toBe(file);
    expect(d.line).toBe(3);
    expect(d.message).toContain(`${file}:3`);
    expect(d.reason).toMatch(/JSON/);
  });

  it("keeps only the first MAX_BAD_LINES line numbers but counts them all", async () => {
    const lines = Array.from({ length: 250 }, (_, i) => (i % 2 ? "oops" : { i }));
    const reader = readJsonl(writeRows(tmp.file("many-bad.jsonl"), lines), { onError: "skip" });
    await collect(reader);
    expect(reader.report.skipped).toBe(125);
    expect(reader.report.badLines).toHaveLength(MAX_BAD_LINES);
    expect(reader.report.badLines.slice(0, 3)).toEqual([2, 4, 6]);
  });

  it("reads lines and multi-byte characters that span its 1 MiB chunks", async () => {
    const long = "é".repeat(700_000); // 1.4 MB in UTF-8: crosses a chunk boundary mid-line
    const rows = [{ id: 1, s: long }, { id: 2, s: "😀".repeat(300_000) }, { id: 3 }];
    const file = writeRows(tmp.file("long.jsonl"), rows);
    const got = await collect(readJsonl(file));
    expect(got.map((r) => r.row)).toEqual(rows);
    expect(got.map((r) => r.line)).toEqual([1, 2, 3]);
  });

  it("counts a line that is not UTF-8 as malformed, instead of reading replacement characters", async () => {
    const file = tmp.file("latin1.jsonl");
    // Line 2 is Latin-1 ("café" with a lone 0xE9 byte); line 3 holds a real U+FFFD, which is valid.
    writeFileSync(file, Buffer.concat([Buffer.from('{"id":1}\n{"id":2,"s":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"id":3,"s":"\uFFFD"}\n', "utf8")]));
    const reader = readJsonl(file, { onError: "skip" });
    const rows = await collect(reader);
    expect(rows.map((r) => r.row)).toEqual([{ id: 1 }, { id: 3, s: "\uFFFD" }]);
    expect(reader.report).toMatchObject({ rows: 2, skipped: 1, badLines: [2] });
    await expect(collect(readJsonl(file))).rejects.toMatchObject({ line: 2, reason: "the line is not valid UTF-8" });
  });

  it("counts a line longer than the limit as malformed, without keeping it, inside a chunk or across chunks", async () => {
    const file = tmp.file("too-long.jsonl");
    const huge = `{"s":"${"x".repeat(3 * 1024 * 1024)}"}`; // spans several 1 MiB chunks
    writeFileSync(file, `{"id":1}\n{"s":"${"y".repeat(2000)}"}\n${huge}\n{"id":4}\n${huge}`);
    const reader = readJsonl(file, { onError: "skip", maxLineBytes: 1024 * 1024 });
    const rows = await collect(reader);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4]);
    expect(reader.report).toMatchObject({ skipped: 2, badLines: [3, 5] });
    await expect(collect(readJsonl(file, { maxLineBytes: 1000 }))).rejects.toMatchObject({ line: 2, reason: "the line is longer than 1000 bytes" });
  });

  it("strips a byte-order mark", async () => {
    const file = tmp.file("bom.jsonl");
    writeFileSync(file, '\uFEFF{"id":1}\n');
    expect(await collect(readJsonl(file))).toEqual([{ row: { id: 1 }, text: '{"id":1}', line: 1 }]);
  });
});

describe("writeJsonl", () => {
  it("writes rows from a sync or async iterable and returns the count", async () => {
    const file = tmp.file("out.jsonl");
    expect(await writeJsonl(file, [{ a: 1 }, { b: "x" }])).toBe(2);
    expect(readFileSync(file, "utf8")).toBe('{"a":1}\n{"b":"x"}\n');
    const gen = async function* () {
      yield { n: 1 };
      yield { n: 2 };
      yield { n: 3 };
    };
    expect(await writeJsonl(file, gen())).toBe(3);
    expect(readRows(file)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it("writes a row given as text exactly as given, beside rows given as objects", async () => {
    const file = tmp.file("text.jsonl");
    expect(await writeJsonl(file, ['{"id":12345678901234567891, "x":1e400}', { id: 2 }])).toBe(2);
    expect(readFileSync(file, "utf8")).toBe('{"id":12345678901234567891, "x":1e400}\n{"id":2}\n');
  });

  it("leaves the old target intact and no temp file when the rows fail midway", async () => {
    const dir = tempDir("atomic");
    const file = dir.file("target.jsonl");
    writeFileSync(file, '{"old":true}\n');
    const failing = async function* () {
      yield { new: 1 };
      throw new Error("source died");
    };
    await expect(writeJsonl(file, failing())).rejects.toThrow("source died");
    expect(readFileSync(file, "utf8")).toBe('{"old":true}\n');
    expect(readdirSync(dir.dir)).toEqual(["target.jsonl"]);
    dir.cleanup();
  });

  it("does not create the target until the end", async () => {
    const file = tmp.file("late.jsonl");
    let seenDuring = true;
    const rows = async function* () {
      yield { a: 1 };
      seenDuring = existsSync(file);
      yield { a: 2 };
    };
    await writeJsonl(file, rows());
    expect(seenDuring).toBe(false);
    expect(existsSync(file)).toBe(true);
  });
});
