import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { AdamW } from "../../../runtime/train/optim.js";
import { rand, relDiff, use, useWasm } from "./helpers.js";

// The one-pass AdamW update (adamw-kernel.ts): SIMD wasm on the wasm backend, float32-rounded
// JavaScript on cpu. Both must give the same bits, and agree with the update composed of ops.

/** Runs `steps` AdamW steps on one variable of `size` from seeded weights and gradients; returns w, m, v. */
async function train(size: number, steps: number, fused: boolean, opts: { clipNorm?: number; weightDecay?: number } = {}): Promise<Float32Array[]> {
  const w = tf.variable(tf.tensor1d(rand([size], 1).data));
  const opt = new AdamW([w], { schedule: 3e-2, totalSteps: steps, fused, measureGradNorm: false, ...opts });
  for (let s = 0; s < steps; s++) {
    // gradients spanning several orders of magnitude, some exactly zero
    const g = tf.tensor1d(rand([size], 10 + s).data.map((x, i) => (i % 11 === 0 ? 0 : x * 10 ** ((i % 5) - 3))));
    await opt.apply([g]);
    g.dispose();
  }
  const { m, v } = await opt.state();
  const out = [Float32Array.from(await w.data()), m[0]!, v[0]!];
  w.dispose();
  opt.dispose();
  return out;
}

describe("the fused AdamW kernel", () => {
  // 1 and 7 exercise the scalar tail alone and after one SIMD block; 1001 both.
  // Without clipping: the clip factor comes from the gradient norm, a reduction each backend sums in its own order.
  it.for([1, 7, 1001])("gives the same bits on wasm and on cpu (%i weights, weight decay)", async (size) => {
    const opts = { weightDecay: 0.1 };
    await use("cpu");
    const cpu = await train(size, 4, true, opts);
    await useWasm(false);
    const wasm = await train(size, 4, true, opts);
    wasm.forEach((x, i) => expect(Buffer.from(x.buffer).equals(Buffer.from(cpu[i]!.buffer)), ["w", "m", "v"][i]).toBe(true));
  });

  it.for(["cpu", "wasm"] as const)("agrees with the update composed of TensorFlow.js ops on %s", async (backend) => {
    if (backend === "cpu") await use("cpu");
    else await useWasm(false);
    const fused = await train(1001, 5, true, { weightDecay: 0.05, clipNorm: 0.5 });
    const ops = await train(1001, 5, false, { weightDecay: 0.05, clipNorm: 0.5 });
    fused.forEach((x, i) => expect(relDiff(x, ops[i]!), ["w", "m", "v"][i]).toBeLessThan(1e-6));
    // and it moved the weights
    expect(relDiff(fused[0]!, rand([1001], 1).data)).toBeGreaterThan(1e-3);
  });

  it("keeps the tensor count flat across steps", async () => {
    await useWasm(false);
    const w = tf.variable(tf.zeros([300]));
    const opt = new AdamW([w], { schedule: 1e-3, totalSteps: 10, measureGradNorm: false });
    const g = tf.ones([300]);
    await opt.apply([g]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await opt.apply([g]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, g]);
    opt.dispose();
  });
});
