import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { gelu, geluOps } from "../../../runtime/train/models/params.js";
import { relDiff, use, useWasm } from "./helpers.js";

// GELU as one kernel (SIMD on wasm, JavaScript on cpu) against the same function composed of
// TensorFlow.js ops, values and gradients, over the whole range: both tails, zero, and sizes that
// leave 1–3 elements after the last block of four.
const xs = Float32Array.from([-30, -9.5, -4, -2.5, -1, -0.3, -0, 0, 1e-4, 0.3, 1, 2.5, 4, 9.5, 30, ...Array.from({ length: 48 }, (_, i) => (i - 24) / 5)]);

function valueAndGrad(f: (x: tf.Tensor) => tf.Tensor, x: Float32Array): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const t = tf.tensor1d(x);
    const dy = tf.linspace(0.5, 1.5, x.length); // not all ones, so dy really multiplies
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dy)))(t);
    return [Float32Array.from(f(t).dataSync()), Float32Array.from(g.dataSync())];
  });
}

describe("the fused GELU kernel", () => {
  it.for(["cpu", "wasm"] as const)("agrees with GELU composed of ops on %s, value and gradient", async (backend) => {
    if (backend === "cpu") await use("cpu");
    else await useWasm(false);
    for (const n of [xs.length, 62, 61, 3, 1]) {
      const x = xs.subarray(0, n);
      const [v, g] = valueAndGrad(gelu, x);
      const [v0, g0] = valueAndGrad(geluOps, x);
      // on the scale of 1: far in the left tail the composed form loses digits to 1 + erf ≈ 0
      expect(relDiff(v, v0, 1), `value, n=${n}`).toBeLessThan(2e-6);
      expect(relDiff(g, g0, 1), `gradient, n=${n}`).toBeLessThan(2e-6);
    }
  });

  it("is a single kernel each way, and exact at the tails", async () => {
    await useWasm(false);
    const [v, g] = valueAndGrad(gelu, Float32Array.from([-30, 30, 0]));
    expect(Array.from(v)).toEqual([-0, 30, 0]);
    expect(g[0]).toBe(0);
    expect(g[1]).toBeCloseTo(1, 6); // gelu′(30) = 1, times dy = 1 (the middle of linspace(0.5, 1.5, 3))
    const prof = await tf.profile(() => tf.grad((x: tf.Tensor) => tf.sum(gelu(x)))(tf.ones([8])));
    const names = prof.kernels.map((k) => k.name);
    expect(names).toContain("StagecraftGelu");
    expect(names).toContain("StagecraftGeluGrad");
    expect(names).not.toContain("Erf");
  });
});
