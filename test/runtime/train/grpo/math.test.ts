import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createPart } from "../../../../runtime/train/models/index.js";
import { Model } from "../../../../runtime/train/stages/artifact.js";
import { completionBatch, groupAdvantages, grpoTokenLoss, k3, rewardOf, sequenceMean, stopGradient, tokenLogps } from "../../../../runtime/train/stages/grpo.js";
import { applyRepetitionPenalty, sampleCompletions } from "../../../../runtime/train/stages/sample.js";
import type { RowExpr } from "../../../../src/ir/row-expr.js";
import { use } from "../helpers.js";

beforeAll(() => use("cpu"));

const t2 = (xs: number[][]) => tf.tensor2d(xs);
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe("group advantages", () => {
  it("(r − mean) / (std + 1e-4), std with Bessel's correction", () => {
    // mean 0.5, sample std sqrt(1/3)
    const a = groupAdvantages([1, 0, 1, 0]);
    const s = Math.sqrt(1 / 3);
    a.forEach((x, i) => expect(x).toBeCloseTo((i % 2 === 0 ? 0.5 : -0.5) / (s + 1e-4), 10));
    expect(a.reduce((x, y) => x + y, 0)).toBeCloseTo(0, 12);
  });

  it("a group with equal rewards, or of one, gets zero advantages", () => {
    expect(groupAdvantages([0.7, 0.7, 0.7])).toEqual([0, 0, 0]);
    expect(groupAdvantages([3])).toEqual([0]);
  });
});

describe("the clipped objective and k3", () => {
  it("ρ = 1: the loss is −A per token; averaged per sequence, then over sequences", () => {
    const logp = t2([[-1, -2, -3], [-0.5, -0.5, 0]]);
    const adv = t2([[2], [-1]]);
    const l = grpoTokenLoss(logp, logp, adv, 0.2, 0);
    expect(values(l)).toEqual([-2, -2, -2, 1, 1, 1]);
    // sequence 1 has 3 tokens, sequence 2 has 2: per-sequence means −2 and 1, mean −0.5
    expect(values(sequenceMean(l, t2([[1, 1, 1], [1, 1, 0]])))[0]).toBeCloseTo(-0.5, 6);
  });

  it("clipping bounds the ratio at 1 ± ε on the side that would gain", () => {
    const old = t2([[0, 0, 0, 0]]);
    const logp = t2([[Math.log(1.5), Math.log(0.5), Math.log(1.5), Math.log(0.5)]]);
    // A = +1 on the first two tokens, −1 on the last two (one row per token for its own advantage)
    const rows = (i: number) => tf.slice(logp, [0, i], [1, 1]);
    const at = (i: number, a: number) => values(grpoTokenLoss(rows(i), tf.slice(old, [0, i], [1, 1]), t2([[a]]), 0.2, 0))[0]!;
    expect(at(0, 1)).toBeCloseTo(-1.2, 5); // ρ = 1.5, A > 0: min(1.5, 1.2) → −1.2
    expect(at(1, 1)).toBeCloseTo(-0.5, 5); // ρ = 0.5, A > 0: min(0.5, 0.8) → −0.5 (unclipped, pessimistic)
    expect(at(2, -1)).toBeCloseTo(1.5, 5); // ρ = 1.5, A < 0: min(−1.5, −1.2) → 1.5
    expect(at(3, -1)).toBeCloseTo(0.8, 5); // ρ = 0.5, A < 0: min(−0.5, −0.8) → 0.8
  });

  it("k3 is ≥ 0 everywhere and 0 where the policies agree; β adds it to the loss", () => {
    const logp = t2([[-1, -2, -0.1, -5]]);
    expect(values(k3(logp, logp))).toEqual([0, 0, 0, 0]);
    const ref = t2([[-3, -0.2, -0.1, -1]]);
    const k = values(k3(ref, logp));
    k.forEach((x) => expect(x).toBeGreaterThanOrEqual(0));
    const d = -3 - -1;
    expect(k[0]).toBeCloseTo(Math.exp(d) - d - 1, 6);
    const l = values(grpoTokenLoss(logp, logp, t2([[0]]), 0.2, 0.5, ref));
    l.forEach((x, i) => expect(x).toBeCloseTo(0.5 * k[i]!, 6));
  });

  it("zero advantages give zero policy gradient; ρ carries ∇log π although it is 1 in value", () => {
    const x = tf.variable(t2([[0.3, -0.2, 0.1]]));
    const loss = (adv: number) => () => {
      const logp = tf.logSoftmax(x) as tf.Tensor2D;
      return sequenceMean(grpoTokenLoss(logp, stopGradient(logp), t2([[adv]]), 0.2, 0), tf.onesLike(logp));
    };
    const zero = tf.variableGrads(loss(0), [x]);
    expect(Math.abs(values(zero.value)[0]!)).toBe(0);
    values(zero.grads[x.name]!).forEach((g) => expect(Math.abs(g)).toBe(0));
    const one = tf.variableGrads(loss(1), [x]);
    // d/dx of −mean(logSoftmax(x)) = −(1/3 − softmax(x))·... : not zero, and equal to −∇ mean log π
    const ref = tf.grad((y: tf.Tensor) => tf.neg(tf.mean(tf.logSoftmax(y))))(x);
    expect(values(one.grads[x.name]!).map((g) => Math.round(g * 1e6))).toEqual(values(ref).map((g) => Math.round(g * 1e6)));
    expect(values(one.value)[0]).toBeCloseTo(-1, 6);
    x.dispose();
  });
});

describe("rewards and sampling", () => {
  it("rewards read the completion's fields; booleans count 0/1", () => {
    const expr: RowExpr = { op: "binary", fn: "==", left: { op: "field", name: "boxed_answer" }, right: { op: "field", name: "answer" } };
    expect(rewardOf(expr, { answer: "3" }, { ids: [5, 6, 2], text: "x \\boxed{3}" })).toBe(1);
    expect(rewardOf(expr, { answer: "3" }, { ids: [5, 6, 2], text: "x \\boxed{4}" })).toBe(0);
    const tokens: RowExpr = { op: "field", name: "completion_tokens" };
    expect(rewardOf(tokens, {}, { ids: [5, 6, 2], text: "ab" })).toBe(2);
  });

  it("the repetition penalty divides positive logits and multiplies negative ones, of seen tokens only", () => {
    expect(Array.from(applyRepetitionPenalty(Float32Array.from([2, -2, 2, -2]), [0, 1, 1], 2))).toEqual([1, -4, 2, -2]);
  });

  const lm = () => new Model([{ name: "lm", part: createPart("decoder_lm", { width: 16, layers: 1, heads: 2, context: 32 }, 5), frozen: false }]);
  const rows = [{ question: "d+1?" }, { question: "d+2?" }, { question: "d+1?" }];

  it("the same seed gives the same tokens and log-probs; another seed differs; batching does not matter", async () => {
    const m = lm();
    const o = { temperature: 1, maxNew: 12, where: "t" };
    const a = await sampleCompletions(m, rows, { ...o, seed: 1 });
    const b = await sampleCompletions(m, rows, { ...o, seed: 1, batchSize: 1 });
    const c = await sampleCompletions(m, rows, { ...o, seed: 2 });
    expect(b.map((s) => s.ids)).toEqual(a.map((s) => s.ids));
    b.forEach((s, i) => s.logps.forEach((lp, t) => expect(lp).toBeCloseTo(a[i]!.logps[t]!, 5)));
    expect(c.map((s) => s.ids)).not.toEqual(a.map((s) => s.ids));
    // Rows 0 and 2 share a prompt but draw from streams of their own.
    expect(a[0]!.ids).not.toEqual(a[2]!.ids);
    m.dispose();
  });

  it("sampled log-probs match the teacher-forced ones the loss computes", async () => {
    const m = lm();
    const s = await sampleCompletions(m, rows, { temperature: 0.7, maxNew: 10, seed: 3, where: "t" });
    const b = completionBatch(s);
    const lp = tokenLogps(m, rows, b, 0.7, "t");
    const v = lp.dataSync();
    s.forEach((x, r) => x.logps.forEach((l, t) => expect(v[r * b.length + x.prompt.length - 1 + t]).toBeCloseTo(l, 4)));
    lp.dispose();
    m.dispose();
  });
});
