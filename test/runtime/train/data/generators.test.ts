import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { GENERATORS } from "../../../../src/check/builtins.js";
import { apply, type Op } from "../../../../runtime/train/data/arith.js";
import { GENERATOR_NAMES, generate, generateSync, visualArithRecords, writeGenerated, type Row } from "../../../../runtime/train/data/generators.js";
import { GLYPH_SIDE, glyphMatch } from "../../../../runtime/train/data/glyphs.js";
import { RULES } from "../../../../runtime/train/data/rule-scorers.js";
import { encode, UNK } from "../../../../runtime/train/models/tokenizer.js";
import { tempDir } from "../../data/helpers.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const tmp = tempDir("generators");
afterAll(() => tmp.cleanup());

/** The encoder tiny-r1v reads images with, taken from the workflow itself so the two cannot drift. */
const ENCODER = (() => {
  const src = readFileSync(path.join(ROOT, "workflows/tiny-r1v.sc"), "utf8");
  const m = /vision_encoder\(image:\s*(\d+),\s*patch:\s*(\d+)/.exec(src);
  if (!m) throw new Error("tiny-r1v.sc declares no vision_encoder(image: N, patch: P)");
  const image = Number(m[1]);
  return { image, patches: (image / Number(m[2])) ** 2 };
})();
const CONTEXT = 128;

const rowsOf = (name: string, n: number, seed: number): Row[] => [...generateSync(name, n, seed)];
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** The training text of a row as an LM sees it: question, worked steps, boxed answer. */
const lmText = (r: Row): string => `${str(r["question"])} ${str(r["rationale"])} \\boxed{${str(r["answer"])}}`;

describe("the generators", () => {
  it("are exactly the checker's GENERATORS", () => {
    expect([...GENERATOR_NAMES].sort()).toEqual(Object.keys(GENERATORS).sort());
  });

  it.each(GENERATOR_NAMES)("%s: rows have exactly the fields GENERATORS lists, and unique ids", (name) => {
    const rows = rowsOf(name, 300, 1);
    for (const r of rows) expect(Object.keys(r).sort()).toEqual([...GENERATORS[name]!.fields].sort());
    expect(new Set(rows.map((r) => r["id"])).size).toBe(rows.length);
  });

  it.each(GENERATOR_NAMES)("%s: the same seed gives byte-identical JSONL, another seed different rows", async (name) => {
    const a = await writeGenerated(name, 200, 42, tmp.file(`${name}-a.jsonl`));
    await writeGenerated(name, 200, 42, tmp.file(`${name}-b.jsonl`));
    await writeGenerated(name, 200, 43, tmp.file(`${name}-c.jsonl`));
    expect(a).toBe(200);
    const bytes = (f: string) => readFileSync(tmp.file(f), "utf8");
    expect(bytes(`${name}-a.jsonl`)).toBe(bytes(`${name}-b.jsonl`));
    const strip = (f: string) => bytes(f).split("\n").filter(Boolean).map((l) => { const { id: _id, ...rest } = JSON.parse(l) as Row; return JSON.stringify(rest); });
    const [x, y] = [strip(`${name}-a.jsonl`), strip(`${name}-c.jsonl`)];
    // Compared without ids (which name the seed): the content itself differs, nearly row by row.
    expect(x.filter((l, i) => l === y[i]).length).toBeLessThan(40);
  });

  it("generate streams the same rows as the file, and a shorter run is a prefix of a longer one", async () => {
    const streamed: Row[] = [];
    for await (const r of generate("visual_arith", 50, 9)) streamed.push(r);
    expect(streamed).toEqual(rowsOf("visual_arith", 50, 9));
    expect(rowsOf("arith_text", 20, 9)).toEqual(rowsOf("arith_text", 40, 9).slice(0, 20));
  });

  it("different generators under one seed do not draw the same numbers", () => {
    const g = rowsOf("glyphs", 20, 5).map((r) => JSON.stringify(r["image"]));
    const v = rowsOf("visual_arith", 20, 5).map((r) => JSON.stringify(r["image"]));
    expect(g.filter((x, i) => x === v[i])).toEqual([]);
  });

  it("refuses an unknown generator and a bad row count at the call", () => {
    expect(() => generate("nope", 3, 1)).toThrow(/unknown generator "nope"/);
    expect(() => generate("glyphs", -1, 1)).toThrow(RangeError);
  });
});

describe("text", () => {
  it.each(["arith_text", "visual_arith"])("%s: stays inside the LM vocabulary and its context", (name) => {
    // An image takes `patches` prefix positions; <bos> and <eos> one each.
    const budget = CONTEXT - (name === "visual_arith" ? ENCODER.patches : 0) - 2;
    for (const r of rowsOf(name, 2000, 3)) {
      const ids = encode(lmText(r));
      expect(ids, lmText(r)).not.toContain(UNK);
      expect(ids.length, lmText(r)).toBeLessThanOrEqual(budget);
      expect(str(r["rationale"])).toMatch(/^<think>.+<\/think>$/);
      expect(str(r["answer"])).toMatch(/^\d+$/);
    }
  });

  it("arith_text: every worked solution is right and ends at the answer", () => {
    const rows = rowsOf("arith_text", 1000, 4);
    for (const r of rows) expect(RULES["judge"]!(r), lmText(r)).toEqual({ score: 1 });
    // One step each; sums and products, asked in every form.
    for (const r of rows) expect(str(r["rationale"]).match(/=/g), lmText(r)).toHaveLength(1);
    expect(rows.some((r) => / plus [1-4]\b/.test(str(r["question"])))).toBe(true);
    expect(rows.some((r) => / times [23]\b/.test(str(r["question"])))).toBe(true);
    expect(rows.some((r) => / = \?$/.test(str(r["question"])))).toBe(true);
    expect(rows.some((r) => /^How much is /.test(str(r["question"])))).toBe(true);
  });

  it.each(["arith_text", "visual_arith"])("%s with rationale: false: the same problems for the same seed, without the worked steps", (name) => {
    const worked = rowsOf(name, 200, 4);
    const direct = [...generateSync(name, 200, 4, { rationale: false })];
    direct.forEach((r, i) => {
      const { rationale: _r, ...want } = worked[i]!;
      expect(r).toEqual(want);
    });
  });

  it("arith_text: about half the rows are the visual task as text, the digit in the image slot once per patch", () => {
    const rows = rowsOf("arith_text", 1000, 4);
    const visual = rows.filter((r) => str(r["image_text"]) !== "");
    expect(visual.length).toBeGreaterThan(400);
    expect(visual.length).toBeLessThan(600);
    for (const r of visual) {
      const d = str(r["image_text"])[0]!;
      expect(str(r["image_text"])).toBe(d.repeat(4));
      expect(str(r["question"])).toMatch(/the digit/i);
      expect(str(r["rationale"]).startsWith(`<think>digit ${d}, `)).toBe(true);
    }
    expect(rows.filter((r) => str(r["image_text"]) === "").every((r) => !/the digit/i.test(str(r["question"])))).toBe(true);
  });
});

describe("images", () => {
  it.each(["glyphs", "visual_arith"])("%s: the encoder's size, one channel, values in [0, 1]", (name) => {
    expect(GLYPH_SIDE).toBe(ENCODER.image);
    for (const r of rowsOf(name, 500, 6)) {
      const img = r["image"] as number[];
      expect(img).toHaveLength(ENCODER.image * ENCODER.image);
      for (const v of img) expect(v >= 0 && v <= 1, String(v)).toBe(true);
    }
  });

  it("glyphs: labels are digits, and each image reads as its label", () => {
    const rows = rowsOf("glyphs", 1000, 11);
    expect(new Set(rows.map((r) => r["label"]))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const read = rows.filter((r) => glyphMatch(r["image"] as number[]).digit === r["label"]).length;
    expect(read / rows.length).toBeGreaterThan(0.98);
  });
});

describe("visual_arith", () => {
  const items = [...visualArithRecords(1500, 13)];

  it("yields the same rows as generate", () => {
    expect(items.slice(0, 100).map((x) => x.row)).toEqual(rowsOf("visual_arith", 100, 13));
  });

  it("answers are right for the digit drawn, recomputed from the question's own words", () => {
    const WORDS: Record<string, Op> = { plus: "+", times: "*" };
    for (const { row, record } of items) {
      const q = str(row["question"]);
      expect(q).toMatch(/the digit/i);
      let v = record.digit;
      for (const m of q.matchAll(/\b(plus|times) (\d+)/g)) v = apply(v, WORDS[m[1]!]!, Number(m[2]));
      expect(row["answer"], q).toBe(String(v));
      expect(str(row["rationale"]).startsWith(`<think>digit ${record.digit}, `)).toBe(true);
      expect(RULES["judge"]!(row)).toEqual({ score: 1 });
      expect(record.steps).toHaveLength(1);
      expect(row["difficulty"]).toBe(record.steps[0]!.op === "*" ? 2 : 1);
    }
  });

  it("the image holds the digit: clean rows read as it nearly always", () => {
    const clean = items.filter((x) => (x.row["quality"] as number) >= 4);
    const read = clean.filter((x) => glyphMatch(x.row["image"] as number[]).digit === x.record.digit).length;
    expect(read / clean.length).toBeGreaterThan(0.97);
  });

  it("metadata: quality 0..5 whole, clarity in [0, 1], difficulty 1 or 2", () => {
    for (const { row } of items) {
      expect([0, 1, 2, 3, 4, 5]).toContain(row["quality"]);
      expect(row["clarity"]).toBeGreaterThanOrEqual(0);
      expect(row["clarity"]).toBeLessThanOrEqual(1);
      expect([1, 2]).toContain(row["difficulty"]);
    }
  });

  it("quality thresholds 2..5 keep decreasing fractions of ever cleaner rows", () => {
    // The noise the generator drew, which the judge's quality only sees blurred.
    const noise = (xs: typeof items) => xs.reduce((s, x) => s + x.record.noise, 0) / xs.length;
    let prev = { kept: 1, noise: noise(items) };
    for (const t of [2, 3, 4, 5]) {
      const kept = items.filter((x) => (x.row["quality"] as number) >= t);
      const now = { kept: kept.length / items.length, noise: noise(kept) };
      expect(now.kept, `rm >= ${t}`).toBeLessThan(prev.kept - 0.05);
      expect(now.noise, `rm >= ${t}`).toBeLessThan(prev.noise - 0.01);
      prev = now;
    }
    // GRPO's `rm >= 5` still has rows to train on, and they are the cleanest.
    expect(prev.kept).toBeGreaterThan(0.05);
    expect(prev.noise).toBeLessThan(noise(items) - 0.1);
  });
});
