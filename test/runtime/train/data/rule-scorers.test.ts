import { afterAll, describe, expect, it } from "vitest";
import { RULE_SCORERS } from "../../../../src/check/builtins.js";
import { score } from "../../../../runtime/data/ops-score.js";
import { generateSync, visualArithRecords } from "../../../../runtime/train/data/generators.js";
import { cleanGlyph } from "../../../../runtime/train/data/glyphs.js";
import { RULES, ruleScorer } from "../../../../runtime/train/data/rule-scorers.js";
import { readRows, tempDir, writeRows } from "../../data/helpers.js";

const tmp = tempDir("rule-scorers");
afterAll(() => tmp.cleanup());

const rule = (name: string) => RULES[name]!;

describe("the rule scorers", () => {
  it("are exactly the checker's RULE_SCORERS, each writing exactly its listed outputs", () => {
    expect(Object.keys(RULES).sort()).toEqual(Object.keys(RULE_SCORERS).sort());
    const rows = [...generateSync("visual_arith", 5, 1), ...generateSync("arith_text", 5, 1), ...generateSync("glyphs", 5, 1), {}];
    for (const [name, spec] of Object.entries(RULE_SCORERS)) {
      for (const r of rows) {
        const out = rule(name)(r);
        expect(Object.keys(out).sort(), name).toEqual([...spec.outputs].sort());
        for (const v of Object.values(out)) expect(Number.isFinite(v)).toBe(true);
      }
    }
    expect(ruleScorer("nope")).toBeUndefined();
    expect(ruleScorer("toString")).toBeUndefined();
  });
});

describe("quality", () => {
  it("is the row's quality, else 5 × clarity, else a judgement of its solution", () => {
    expect(rule("quality")({ quality: 3 })).toEqual({ score: 3 });
    expect(rule("quality")({ quality: 9 })).toEqual({ score: 5 });
    expect(rule("quality")({ clarity: 0.62 })).toEqual({ score: 3 });
    expect(rule("quality")({ rationale: "<think>2 + 2 = 4</think>", answer: "4" })).toEqual({ score: 4 });
    expect(rule("quality")({ rationale: "<think>2 + 2 = 5</think>", answer: "5" })).toEqual({ score: 1 });
  });
});

describe("judge", () => {
  const j = (row: Record<string, unknown>) => rule("judge")(row)["score"];

  it("accepts a solution whose steps are right and that ends at the answer", () => {
    expect(j({ rationale: "<think>digit 3, 3 + 4 = 7, 7 * 2 = 14</think>", answer: "14" })).toBe(1);
    expect(j({ rationale: "<think>9 - 4 = 5</think>", answer: 5 })).toBe(1);
  });

  it("rejects a wrong step, a wrong conclusion, or nothing to judge", () => {
    expect(j({ rationale: "<think>3 + 4 = 8, 8 * 2 = 16</think>", answer: "16" })).toBe(0);
    expect(j({ rationale: "<think>3 + 4 = 7</think>", answer: "14" })).toBe(0);
    expect(j({ rationale: "", answer: "1" })).toBe(0);
    expect(j({ rationale: "<think>1 + 1 = 2</think>" })).toBe(0);
  });

  it("reads a distilled cot before the rationale, and its \\boxed{} answer before its last number", () => {
    expect(j({ rationale: "<think>1 + 1 = 2</think>", cot: "<think>1 + 1 = 3</think>", answer: "2" })).toBe(0);
    expect(j({ cot: "<think>2 * 3 = 6</think> \\boxed{6}", answer: "6" })).toBe(1);
    expect(j({ cot: "<think>2 * 3 = 6</think> \\boxed{7}", answer: "6" })).toBe(0);
  });
});

describe("qdam", () => {
  it("s_v: a clean image the question needs beats a noisy one, beats none", () => {
    const clean = { image: cleanGlyph(4), question: "What is the digit plus 1?" };
    const unneeded = { image: cleanGlyph(4), question: "What is 4 plus 1?" };
    const noise = { image: Array.from({ length: 64 }, (_, i) => ((i * 37) % 11) / 10), question: "What is the digit plus 1?" };
    const sv = (r: Record<string, unknown>) => rule("qdam")(r)["s_v"]!;
    expect(sv(clean)).toBe(1);
    expect(sv(unneeded)).toBe(0.5);
    expect(sv(noise)).toBeLessThan(0.6);
    expect(sv({ question: "What is 4 plus 1?" })).toBe(0);
  });

  it("s_v falls with the image noise the generator drew", () => {
    const items = [...visualArithRecords(600, 2)].map((x) => ({ noise: x.record.noise, sv: rule("qdam")(x.row)["s_v"]! }));
    const mean = (xs: typeof items) => xs.reduce((s, x) => s + x.sv, 0) / xs.length;
    expect(mean(items.filter((x) => x.noise < 0.2))).toBeGreaterThan(mean(items.filter((x) => x.noise > 0.4)) + 0.15);
  });

  it("s_t: two worded steps beat one, which beats a bare sum", () => {
    const st = (r: Record<string, unknown>) => rule("qdam")(r)["s_t"]!;
    const two = st({ question: "What is the digit plus 3, times 2?", difficulty: 2 });
    const one = st({ question: "What is the digit plus 3?", difficulty: 1 });
    const bare = st({ question: "3 + 4", rationale: "<think>3 + 4 = 7</think>" });
    expect(two).toBeGreaterThan(one);
    expect(one).toBeGreaterThan(bare);
    for (const v of [two, one, bare]) expect(v >= 0 && v <= 1).toBe(true);
  });
});

describe("vtia", () => {
  it("s_i is highest for how/why questions, lower for what, lowest for a bare '= ?'", () => {
    const si = (question: string) => rule("vtia")({ question })["s_i"];
    expect(si("How much is the digit plus 3?")).toBe(1);
    expect(si("Why is the digit odd?")).toBe(1);
    expect(si("What is the digit plus 3?")).toBe(0.5);
    expect(si("The digit plus 3 = ?")).toBe(0.2);
  });
});

describe("through score()", () => {
  it("a rule scorer streams through the ordinary score op", async () => {
    const rows = [...generateSync("visual_arith", 40, 8)];
    const input = writeRows(tmp.file("in.jsonl"), rows);
    const out = tmp.file("out.jsonl");
    const r = await score(input, out, [{ field: "sv", output: "s_v" }, { field: "st", output: "s_t" }], ruleScorer("qdam")!);
    expect(r.rows).toBe(40);
    const got = readRows(out);
    expect(got.map((g) => [g["id"], g["sv"], g["st"]])).toEqual(rows.map((row) => [row["id"], rule("qdam")(row)["s_v"], rule("qdam")(row)["s_t"]]));
    await score(out, tmp.file("rm.jsonl"), [{ field: "rm", output: "score" }], ruleScorer("quality")!);
    expect(readRows(tmp.file("rm.jsonl")).map((g) => g["rm"])).toEqual(rows.map((row) => row["quality"]));
  });
});
