import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DataError, RowError } from "../../../runtime/data/errors.js";
import { take, takeFraction, where } from "../../../runtime/data/ops-filter.js";
import { dedupe, intersect, minus, union } from "../../../runtime/data/ops-keys.js";
import { normalize } from "../../../runtime/data/ops-normalize.js";
import { sample, top } from "../../../runtime/data/ops-rank.js";
import { bin, f, ids, k, readRows, tempDir, writeRows } from "./helpers.js";

const tmp = tempDir("ops");
afterAll(() => tmp.cleanup());

let n = 0;
const out = (): string => tmp.file(`out-${n++}.jsonl`);

const people = writeRows(tmp.file("people.jsonl"), [
  { id: 1, q: 3, lang: "en" },
  { id: 2, q: "5", lang: "de" },
  "this line is broken",
  { id: 3, q: 4, lang: "en" },
  { id: 4, q: 1, lang: "en" },
  "",
  { id: 5, q: 5, lang: "fr" },
]);

describe("where", () => {
  it("keeps the rows for which the predicate holds, with malformed lines counted under skip", async () => {
    const o = out();
    const r = await where(people, o, bin("and", bin(">=", f("q"), k(3)), bin("==", f("lang"), k("en"))), { onError: "skip" });
    expect(readRows(o)).toEqual([{ id: 1, q: 3, lang: "en" }, { id: 3, q: 4, lang: "en" }]);
    expect(r).toEqual({ rows: 2, skipped: 1, badLines: [3] });
  });

  it("fails on a malformed line under fail, with the file and line", async () => {
    const e = await where(people, out(), k(true)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    expect(e).toMatchObject({ file: people, line: 3 });
  });

  it("places a RowError at the row's line under fail", async () => {
    const e = await where(people, out(), bin(">", f("missing"), k(1))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RowError);
    expect((e as RowError).location).toEqual({ file: people, line: 1 });
    expect((e as RowError).field).toBe("missing");
  });

  it("under skip, passes over a row the predicate cannot read, counted with the malformed lines", async () => {
    const file = writeRows(tmp.file("where-unfit.jsonl"), [{ id: 1, q: 5 }, { id: 2 }, "broken", { id: 3, q: "high" }, { id: 4, q: 9 }]);
    const o = out();
    const r = await where(file, o, bin(">", f("q"), k(4)), { onError: "skip" });
    expect(ids(o)).toEqual([1, 4]);
    expect(r).toEqual({ rows: 2, skipped: 3, badLines: [2, 3, 4], unfit: 2, firstUnfit: { line: 2, reason: "row has no field 'q'" } });
  });
});

describe("take", () => {
  it("writes the first n rows", async () => {
    const o = out();
    expect(await take(people, o, 3, { onError: "skip" })).toEqual({ rows: 3, skipped: 1, badLines: [3] });
    expect(ids(o)).toEqual([1, 2, 3]);
  });

  it("stops reading after the n-th row, so a malformed tail is never seen", async () => {
    const rows: (object | string)[] = Array.from({ length: 10 }, (_, i) => ({ id: i }));
    const file = writeRows(tmp.file("bad-tail.jsonl"), [...rows, "{garbage", "more garbage"]);
    const o = out();
    expect(await take(file, o, 5, { onError: "fail" })).toEqual({ rows: 5, skipped: 0, badLines: [] });
    expect(ids(o)).toEqual([0, 1, 2, 3, 4]);
    await expect(take(file, out(), 11, { onError: "fail" })).rejects.toMatchObject({ line: 11 });
  });

  it("takes a fraction of the valid rows, rounding down", async () => {
    const o = out();
    const r = await takeFraction(people, o, 0.5, { onError: "skip" });
    expect(ids(o)).toEqual([1, 2]);
    expect(r).toEqual({ rows: 2, skipped: 1, badLines: [3] });
    const hundred = writeRows(tmp.file("hundred.jsonl"), Array.from({ length: 100 }, (_, i) => ({ id: i })));
    // 0.29 * 100 is 28.999999999999996 in floating point.
    expect((await takeFraction(hundred, out(), 0.29)).rows).toBe(29);
  });
});

describe("top", () => {
  const scores = writeRows(tmp.file("scores.jsonl"), [
    { id: "a", s: 2 },
    { id: "b", s: 5 },
    { id: "c", s: "3" },
    { id: "d", s: 5 },
    { id: "e", s: 3 },
    { id: "f", s: 1 },
    { id: "g", s: 3 },
  ]);

  it("keeps exactly the n largest, largest first, with ties in file order", async () => {
    const o = out();
    expect((await top(scores, o, 4, "s")).rows).toBe(4);
    // Three rows share 3 and only two fit: the earlier two (c, e) stay, g goes.
    expect(ids(o)).toEqual(["b", "d", "c", "e"]);
  });

  it("returns all rows sorted when n exceeds the file", async () => {
    const o = out();
    await top(scores, o, 100, "s");
    expect(ids(o)).toEqual(["b", "d", "c", "e", "g", "a", "f"]);
  });

  it("fails with the line of a row whose field is missing or not a number", async () => {
    const file = writeRows(tmp.file("top-bad.jsonl"), [{ id: 1, s: 1 }, { id: 2, s: "high" }]);
    await expect(top(file, out(), 1, "s")).rejects.toMatchObject({ location: { file, line: 2 }, field: "s" });
    const missing = writeRows(tmp.file("top-missing.jsonl"), [{ id: 1, s: 1 }, { id: 2 }]);
    await expect(top(missing, out(), 1, "s")).rejects.toThrow("row has no field 's'");
  });

  it("under skip, ranks only the rows whose field is a number", async () => {
    const file = writeRows(tmp.file("top-skip.jsonl"), [{ id: 1, s: 1 }, { id: 2, s: "high" }, { id: 3 }, { id: 4, s: 7 }]);
    const o = out();
    const r = await top(file, o, 5, "s", { onError: "skip" });
    expect(ids(o)).toEqual([4, 1]);
    expect(r).toMatchObject({ rows: 2, skipped: 2, badLines: [2, 3], unfit: 2 });
  });
});

describe("sample", () => {
  const many = writeRows(tmp.file("many.jsonl"), Array.from({ length: 1000 }, (_, i) => ({ id: i })));

  it("is deterministic per seed, differs across seeds, and keeps input order", async () => {
    const [a, b, c] = [out(), out(), out()];
    expect((await sample(many, a, 50, 7)).rows).toBe(50);
    await sample(many, b, 50, 7);
    await sample(many, c, 50, 8);
    const first = ids(a) as number[];
    expect(ids(b)).toEqual(first);
    expect(ids(c)).not.toEqual(first);
    expect(new Set(first).size).toBe(50);
    expect([...first].sort((x, y) => x - y)).toEqual(first);
  });

  it("draws roughly uniformly", async () => {
    // Over many seeds every position should be drawn about n/N of the time; a bias towards
    // the head or tail of the file would show in the halves.
    let low = 0;
    for (let seed = 0; seed < 40; seed++) {
      const o = out();
      await sample(many, o, 100, seed);
      low += (ids(o) as number[]).filter((i) => i < 500).length;
    }
    expect(low / 4000).toBeGreaterThan(0.45);
    expect(low / 4000).toBeLessThan(0.55);
  });

  it("returns every row when n exceeds the file", async () => {
    const o = out();
    await sample(people, o, 10, 1, { onError: "skip" });
    expect(ids(o)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("dedupe and set operations", () => {
  const a = writeRows(tmp.file("a.jsonl"), [
    { id: 1, v: "a1" },
    { id: "2", v: "a2" },
    { id: 3, v: "a3" },
    { id: 1, v: "a1-again" },
  ]);
  const b = writeRows(tmp.file("b.jsonl"), [{ id: 2, v: "b2" }, "broken", { id: 4, v: "b4" }, { id: 1, v: "b1" }, { id: 5, v: "b5" }]);

  it("dedupe keeps the first row of each key", async () => {
    const o = out();
    expect((await dedupe(a, o, "id")).rows).toBe(3);
    expect(readRows(o).map((r) => r["v"])).toEqual(["a1", "a2", "a3"]);
  });

  it("union is all of a, then b's rows whose key is not in a", async () => {
    const o = out();
    const r = await union({ file: a }, { file: b, onError: "skip" }, o, "id");
    expect(readRows(o).map((x) => x["v"])).toEqual(["a1", "a2", "a3", "a1-again", "b4", "b5"]);
    expect(r).toEqual({ rows: 6, skipped: 0, badLines: [], other: { skipped: 1, badLines: [2] } });
  });

  it("intersect and minus keep a's rows whose key is, or is not, in b", async () => {
    const [i, m] = [out(), out()];
    await intersect({ file: a }, { file: b, onError: "skip" }, i, "id");
    await minus({ file: a }, { file: b, onError: "skip" }, m, "id");
    // "2" in a matches 2 in b: a script's string id and a number are the same key.
    expect(readRows(i).map((x) => x["v"])).toEqual(["a1", "a2", "a1-again"]);
    expect(readRows(m).map((x) => x["v"])).toEqual(["a3"]);
  });

  it("reads each input under its own policy, and counts each side's skipped lines", async () => {
    // people has a malformed line 3, b a malformed line 2.
    await expect(union({ file: people, onError: "skip" }, { file: b }, out())).rejects.toMatchObject({ file: b, line: 2 });
    await expect(minus({ file: people }, { file: b, onError: "skip" }, out())).rejects.toMatchObject({ file: people, line: 3 });
    const r = await intersect({ file: people, onError: "skip" }, { file: b, onError: "skip" }, out());
    expect(r).toEqual({ rows: 4, skipped: 1, badLines: [3], other: { skipped: 1, badLines: [2] } });
  });

  it("under skip, passes over rows without a usable key on either side, each side counted on its own", async () => {
    const left = writeRows(tmp.file("keys-left.jsonl"), [{ id: 1 }, { name: "no id" }, { id: 2 }, { id: 2 }]);
    const right = writeRows(tmp.file("keys-right.jsonl"), [{ id: [1] }, { id: 2 }]);
    const [u, d] = [out(), out()];
    const r = await union({ file: left, onError: "skip" }, { file: right, onError: "skip" }, u);
    expect(ids(u)).toEqual([1, 2, 2]);
    expect(r).toMatchObject({ rows: 3, skipped: 1, badLines: [2], unfit: 1, other: { skipped: 1, badLines: [1], unfit: 1 } });
    expect(r.other.firstUnfit?.reason).toContain("key field 'id' is");
    expect(await dedupe(left, d, "id", { onError: "skip" })).toMatchObject({ rows: 2, skipped: 1, badLines: [2] });
    // Under fail (the default), the first such row fails the op at its line.
    await expect(minus({ file: left }, { file: right, onError: "skip" }, out())).rejects.toMatchObject({ location: { file: left, line: 2 } });
  });

  it("matches by another key field and defaults to id", async () => {
    const x = writeRows(tmp.file("x.jsonl"), [{ id: 1, k: "p" }, { id: 2, k: "q" }]);
    const y = writeRows(tmp.file("y.jsonl"), [{ id: 2, k: "p" }]);
    const [byK, byId] = [out(), out()];
    await minus({ file: x }, { file: y }, byK, "k");
    await minus({ file: x }, { file: y }, byId);
    expect(ids(byK)).toEqual([2]);
    expect(ids(byId)).toEqual([1]);
  });

  it("fails when the second input is malformed under fail, naming that file", async () => {
    await expect(intersect({ file: a }, { file: b }, out())).rejects.toMatchObject({ file: b, line: 2 });
  });

  it("rejects a key that is not a string or a number", async () => {
    const bad = writeRows(tmp.file("bad-key.jsonl"), [{ id: 1 }, { id: null }]);
    await expect(dedupe(bad, out(), "id")).rejects.toMatchObject({ location: { line: 2 }, field: "id" });
  });
});

describe("normalize", () => {
  it("maps each field to [0, 1] over the file, and a constant field to 0", async () => {
    const file = writeRows(tmp.file("norm.jsonl"), [
      { id: 1, a: 10, b: 7, c: "x" },
      { id: 2, a: "30", b: 7, c: "y" },
      { id: 3, a: 20, b: 7, c: "z" },
    ]);
    const o = out();
    expect((await normalize(file, o, ["a", "b"])).rows).toBe(3);
    expect(readRows(o)).toEqual([
      { id: 1, a: 0, b: 0, c: "x" },
      { id: 2, a: 1, b: 0, c: "y" },
      { id: 3, a: 0.5, b: 0, c: "z" },
    ]);
  });

  it("can write over its own input, since the output replaces it only at the end", async () => {
    const file = writeRows(tmp.file("inplace.jsonl"), [{ a: -2 }, { a: 2 }, { a: 0 }]);
    await normalize(file, file, ["a"]);
    expect(readRows(file)).toEqual([{ a: 0 }, { a: 1 }, { a: 0.5 }]);
  });

  it("a value too large for a double is said as such, not as null", async () => {
    const file = tmp.file("norm-huge.jsonl");
    writeFileSync(file, '{"a": 1}\n{"a": 1e999}\n');
    await expect(normalize(file, out(), ["a"])).rejects.toMatchObject({ location: { line: 2 }, reason: "field 'a' is a number too large for a double (∞), not a number" });
  });

  it("fails with the line of a non-numeric value", async () => {
    const file = writeRows(tmp.file("norm-bad.jsonl"), [{ a: 1 }, { a: 2 }, { a: "n/a" }]);
    await expect(normalize(file, out(), ["a"])).rejects.toMatchObject({ location: { line: 3 }, field: "a" });
  });

  it("under skip, leaves out a row with a non-numeric value, from the output and from the range", async () => {
    const file = writeRows(tmp.file("norm-skip.jsonl"), [{ a: 1 }, { a: "n/a" }, { a: 3 }]);
    const o = out();
    const r = await normalize(file, o, ["a"], { onError: "skip" });
    expect(readRows(o)).toEqual([{ a: 0 }, { a: 1 }]);
    expect(r).toMatchObject({ rows: 2, skipped: 1, badLines: [2], unfit: 1 });
  });

  it("under skip, leaves out such rows when the valid values are all one, or there are none", async () => {
    const same = writeRows(tmp.file("norm-same.jsonl"), [{ id: 1, a: 7 }, { id: 2 }, { id: 3, a: "abc" }]);
    const o = out();
    expect(await normalize(same, o, ["a"], { onError: "skip" })).toMatchObject({ rows: 1, skipped: 2, badLines: [2, 3] });
    expect(readRows(o)).toEqual([{ id: 1, a: 0 }]);
    const none = writeRows(tmp.file("norm-none.jsonl"), [{ id: 1 }, { id: 2, a: "no" }]);
    const o2 = out();
    expect(await normalize(none, o2, ["a"], { onError: "skip" })).toMatchObject({ rows: 0, skipped: 2 });
    expect(readRows(o2)).toEqual([]);
  });

  it("a range wider than the largest double does not overflow", async () => {
    const file = writeRows(tmp.file("norm-wide.jsonl"), [{ a: 1e308 }, { a: -1e308 }, { a: 0 }]);
    const o = out();
    await normalize(file, o, ["a"]);
    expect(readRows(o)).toEqual([{ a: 1 }, { a: 0 }, { a: 0.5 }]);
  });
});
