import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { Canon } from "../../../src/ir/ir.js";
import { lrAt } from "../../../src/ir/schedule.js";
import { AdamW, globalNorm, type StepInfo } from "../../../runtime/train/optim.js";
import { Mlp, crossEntropy } from "../../../runtime/train/models/index.js";
import { T, rand, use } from "./helpers.js";

beforeAll(() => use("cpu"));

const read = (v: tf.Tensor): number[] => Array.from(v.dataSync());

/** One step with gradients given as plain arrays. */
async function applyGrads(opt: AdamW, grads: number[][]): Promise<StepInfo> {
  const ts = grads.map((g) => tf.tensor1d(g));
  try {
    return await opt.apply(ts);
  } finally {
    tf.dispose(ts);
  }
}

/** PyTorch's AdamW, in double precision, for one parameter vector. */
function reference(w0: number[], grads: number[][], lr: number[], wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < w.length; i++) {
      w[i]! *= 1 - lr[s]! * wd;
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps;
      w[i]! -= (lr[s]! / (1 - b1 ** t)) * (m[i]! / denom);
    }
  });
  return w;
}

describe("AdamW", () => {
  it("matches a hand-computed AdamW over three steps", async () => {
    const w = tf.variable(tf.tensor1d([1, -2, 0.5, 0]));
    const opt = new AdamW([w], { schedule: 0.1, totalSteps: 3, weightDecay: 0.1 });
    const gs = [
      [0.5, -1, 2, 0.25],
      [0.1, 0.3, -2, 0],
      [-0.4, 0.2, 0.1, 1],
    ];
    for (const g of gs) await applyGrads(opt, [g]);
    const want = reference([1, -2, 0.5, 0], gs, [0.1, 0.1, 0.1], 0.1);
    read(w).forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 6));
    expect(opt.step).toBe(3);
    tf.dispose(w);
    opt.dispose();
  });

  it("computes gradients of a loss with respect to its own variables only", async () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const frozen = tf.variable(tf.tensor1d([3, 4]));
    const opt = new AdamW([a], { schedule: 0.01, totalSteps: 1, weightDecay: 0 });
    const { loss } = await opt.minimize(() => tf.sum(tf.mul(tf.square(a), frozen)) as tf.Scalar);
    expect(loss).toBeCloseTo(3 + 16, 5);
    expect(read(frozen)).toEqual([3, 4]);
    expect(read(a)[0]).toBeCloseTo(1 - 0.01, 5); // first Adam step moves each weight by lr
    tf.dispose([a, frozen]);
    opt.dispose();
  });

  it("applies weight decay only to the variables given for it", async () => {
    const decayed = tf.variable(tf.tensor1d([2, -4]));
    const plain = tf.variable(tf.tensor1d([2, -4]));
    const opt = new AdamW([decayed, plain], { schedule: 0.5, totalSteps: 1, weightDecay: 0.1, decay: [decayed] });
    // zero gradients: the Adam term is 0/(0+ε) = 0, so only decay moves a weight
    await applyGrads(opt, [[0, 0], [0, 0]]);
    expect(read(decayed)).toEqual([2 * 0.95, -4 * 0.95].map((x) => Math.fround(x)));
    expect(read(plain)).toEqual([2, -4]);
    tf.dispose([decayed, plain]);
    opt.dispose();
  });

  it("sets the learning rate each step from the schedule (lrAt)", async () => {
    const schedule: Canon = { then: [{ call: "warmup", args: { steps: 3 } }, { call: "cosine", args: { from: 1e-2, min: 1e-3 } }] };
    const w = tf.variable(tf.tensor1d([1]));
    const opt = new AdamW([w], { schedule, totalSteps: 10, measureGradNorm: false });
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) seen.push((await applyGrads(opt, [[1]])).lr);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, s) => lrAt(schedule, s, 10)));
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[0]).toBeLessThan(seen[2]!);
    expect(seen[9]).toBeCloseTo(1e-3, 9);
    tf.dispose(w);
    opt.dispose();
  });

  it("clips the global gradient norm and reports it before clipping", async () => {
    const a = tf.variable(tf.tensor1d([0, 0]));
    const b = tf.variable(tf.tensor1d([0]));
    const opt = new AdamW([a, b], { schedule: 0.1, totalSteps: 1, clipNorm: 1 });
    const info = await applyGrads(opt, [[3, 0], [4]]);
    expect(info.gradNorm).toBeCloseTo(5, 5);
    // the first moment holds (1 − β₁)·g·(1/5)
    const { m } = await opt.state();
    expect(Array.from(m[0]!)[0]).toBeCloseTo(0.1 * 3 * 0.2, 6);
    expect(Array.from(m[0]!)[1]).toBe(0);
    expect(Array.from(m[1]!)[0]).toBeCloseTo(0.1 * 4 * 0.2, 6);
    expect(await globalNorm([null])).toBe(0);
    tf.dispose([a, b]);
    opt.dispose();
  });

  async function train(seed: number, steps: number, resumeAt?: number): Promise<number[][]> {
    let mlp = new Mlp({ in: 6, out: 4, hidden: 8 }, seed);
    let opt = new AdamW(mlp.params.variables(), { schedule: { call: "linear", args: { from: 0.05 } }, totalSteps: steps, decay: mlp.params.decayed(), clipNorm: 1 });
    const x = T(rand([5, 6], seed + 1));
    const y = tf.tensor1d([0, 1, 2, 3, 1], "int32");
    for (let s = 0; s < steps; s++) {
      if (s === resumeAt) {
        // a fresh process would rebuild the model and optimizer, then restore both
        const weights = mlp.params.variables().map((v) => Float32Array.from(v.dataSync()));
        const state = await opt.state();
        opt.dispose();
        mlp.params.dispose();
        mlp = new Mlp({ in: 6, out: 4, hidden: 8 }, seed + 1000);
        mlp.params.variables().forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
        opt = new AdamW(mlp.params.variables(), { schedule: { call: "linear", args: { from: 0.05 } }, totalSteps: steps, decay: mlp.params.decayed(), clipNorm: 1 });
        opt.restore(state);
      }
      await opt.minimize(() => crossEntropy(mlp.apply(x), y));
    }
    const out = mlp.params.variables().map(read);
    tf.dispose([x, y]);
    opt.dispose();
    mlp.params.dispose();
    return out;
  }

  it("is deterministic, and resuming from its state matches an uninterrupted run", async () => {
    const a = await train(7, 12);
    expect(await train(7, 12)).toEqual(a);
    expect(await train(7, 12, 5)).toEqual(a);
    expect(await train(8, 12)).not.toEqual(a);
  });

  it.each(["cpu", "wasm"] as const)("does not leak tensors across 20 steps on %s", async (backend) => {
    await use(backend);
    const mlp = new Mlp({ in: 16, out: 8, hidden: 32, layers: 3 }, 1);
    const opt = new AdamW(mlp.params.variables(), { schedule: 1e-3, totalSteps: 20, decay: mlp.params.decayed(), clipNorm: 1 });
    const x = T(rand([4, 16], 2));
    const y = tf.tensor1d([0, 1, 2, 3], "int32");
    const step = async (): Promise<number> => (await opt.minimize(() => crossEntropy(mlp.apply(x), y))).loss;
    const dataIds = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const first = await step();
    const before = [tf.memory().numTensors, dataIds()];
    let last = first;
    for (let i = 0; i < 20; i++) last = await step();
    expect([tf.memory().numTensors, dataIds()]).toEqual(before);
    expect(last).toBeLessThan(first);
    opt.dispose();
    mlp.params.dispose();
    tf.dispose([x, y]);
    await use("cpu");
  });
});
