import { describe, expect, it } from "vitest";
import { tokenizer } from "../../../../runtime/train/models/index.js";
import { boxedAnswer, completionText, promptText, tokenBatch } from "../../../../runtime/train/stages/examples.js";
import { batchOrder, totalSteps } from "../../../../runtime/train/stages/loop.js";
import type { IrNode } from "../../../../src/ir/ir.js";

describe("rows as training examples", () => {
  it("the completion is <think>rationale</think> \\boxed{answer}; a distilled cot replaces the rationale", () => {
    expect(completionText({ question: "q", rationale: "1+2=3", answer: "3" })).toBe("<think>1+2=3</think> \\boxed{3}");
    expect(completionText({ rationale: "x", cot: "y", answer: 4 })).toBe("<think>y</think> \\boxed{4}");
    expect(completionText({ answer: "7" })).toBe("\\boxed{7}");
    expect(promptText({ question: "d+1?" })).toBe("d+1?\n");
  });

  it("the last \\boxed{} is the answer, braces nested", () => {
    expect(boxedAnswer("a \\boxed{1} then \\boxed{ 2 }")).toBe("2");
    expect(boxedAnswer("\\boxed{\\frac{1}{2}}")).toBe("\\frac{1}{2}");
    expect(boxedAnswer("no box")).toBeUndefined();
    expect(boxedAnswer("\\boxed{open")).toBeUndefined();
  });

  it("sft puts loss on the completion's tokens only; pretraining on every token after <bos>", () => {
    const row = { question: "ab", answer: "1" };
    const full = [...tokenizer.encode("ab\n", { bos: true }), ...tokenizer.encode("\\boxed{1}", { eos: true })];
    const sft = tokenBatch([row], 64, true);
    expect(sft.length).toBe(full.length - 1);
    expect(Array.from(sft.ids)).toEqual(full.slice(0, -1));
    expect(Array.from(sft.targets)).toEqual(full.slice(1));
    // targets 0..2 are the prompt's "a", "b", "\n"; the rest ("\boxed{1}" and <eos>) count
    expect(Array.from(sft.weights)).toEqual(full.slice(1).map((_, t) => (t + 1 >= 4 ? 1 : 0)));
    expect(sft.tokens).toBe("\\boxed{1}".length + 1);
    expect(tokenBatch([row], 64, false).tokens).toBe(full.length - 1);
    expect(tokenBatch([row, { question: "abcdef", answer: "22" }], 5, true).length).toBe(5);
  });

  it("text pretraining puts a row's image_text ahead of <bos>, in the image prefix's positions, without loss", () => {
    const row = { question: "d+1?", answer: "3", image_text: "2222" };
    const full = [...tokenizer.encode("2222"), ...tokenizer.encode("d+1?\n", { bos: true }), ...tokenizer.encode("\\boxed{3}", { eos: true })];
    const b = tokenBatch([row], 64, false, true);
    expect(Array.from(b.ids)).toEqual(full.slice(0, -1));
    expect(b.ids[4]).toBe(tokenizer.BOS);
    // targets 0..3 are the rest of the slot and <bos>: no loss; every token after <bos> counts
    expect(Array.from(b.weights)).toEqual(full.slice(1).map((_, t) => (t >= 4 ? 1 : 0)));
    // without the slot (sft) the row is read as before
    expect(Array.from(tokenBatch([row], 64, false).ids)).toEqual(full.slice(4, -1));
  });
});

describe("data order and steps", () => {
  it("each pass is a seeded permutation; the same seed gives the same batches", () => {
    const a = batchOrder(5, 10, 4);
    const b = batchOrder(5, 10, 4);
    const seen = [0, 1, 2, 3, 4].flatMap((s) => a(s));
    expect(seen).toEqual([0, 1, 2, 3, 4].flatMap((s) => b(s)));
    expect([...seen.slice(0, 10)].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.slice(0, 10)).not.toEqual(batchOrder(6, 10, 4)(0).concat(batchOrder(6, 10, 4)(1), batchOrder(6, 10, 4)(2)).slice(0, 10));
  });

  it("total steps: `steps`, else ceil(rows · epochs / batch)", () => {
    const node = (params: Record<string, number>) => ({ params }) as unknown as IrNode;
    expect(totalSteps(node({ steps: 7 }), 100)).toBe(7);
    expect(totalSteps(node({ epochs: 2, batch: 32 }), 100)).toBe(7);
    expect(totalSteps(node({}), 100)).toBe(13);
  });
});

describe("completion text", () => {
  it("wraps a rationale in think tags once, whether or not it already has them", () => {
    expect(completionText({ rationale: "7 + 3 = 10", answer: "10" })).toBe("<think>7 + 3 = 10</think> \\boxed{10}");
    expect(completionText({ rationale: "<think>7 + 3 = 10</think>", answer: "10" })).toBe("<think>7 + 3 = 10</think> \\boxed{10}");
    expect(completionText({ answer: "10" })).toBe("\\boxed{10}");
  });
});
