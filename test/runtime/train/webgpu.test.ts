import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { pickBackend, probeWebgpu } from "../../../runtime/backend.js";
import { initBackend } from "../../../runtime/train/backend.js";
import { AdamW } from "../../../runtime/train/optim.js";
import { Mlp, compose, crossEntropy, DecoderLm, VisionEncoder, tokenizer } from "../../../runtime/train/models/index.js";
import { rand, relDiff, T } from "./helpers.js";

/**
 * The webgpu backend against cpu. CI runs it on Mesa's software Vulkan driver (lavapipe, set up by
 * scripts/webgpu/lavapipe.sh) and sets STAGECRAFT_TEST_WEBGPU=1, so there a missing adapter fails
 * instead of skipping; elsewhere it runs wherever Dawn finds an adapter.
 */
const required = process.env["STAGECRAFT_TEST_WEBGPU"] === "1";
const probe = pickBackend("webgpu").ok ? await probeWebgpu() : { adapter: false, hardware: false, description: "webgpu packages not installed" };

/** Five AdamW steps of an MLP, then a forward and gradient of a composed model, on one backend. */
async function workload(backend: "cpu" | "webgpu") {
  const r = await initBackend(backend);
  if (!r.ok) throw new Error(r.error);
  expect(tf.getBackend()).toBe(backend);
  // The artifact's adapter is the one the probe found.
  if (backend === "webgpu") expect(r.value.adapter).toBe(probe.description);
  const mlp = new Mlp({ in: 64, out: 32, hidden: 256 }, 1);
  const opt = new AdamW(mlp.params.variables(), { schedule: 1e-2, totalSteps: 5, decay: mlp.params.decayed(), clipNorm: 1, measureGradNorm: true });
  const x = T(rand([16, 64], 2));
  const y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 32), "int32");
  const losses: number[] = [];
  const norms: number[] = [];
  for (let s = 0; s < 5; s++) {
    const info = await opt.minimize(() => crossEntropy(mlp.apply(x), y));
    losses.push(info.loss);
    norms.push(info.gradNorm);
  }
  const weights = await Promise.all(mlp.params.variables().map(async (v) => Float32Array.from(await v.data())));
  // The composed model: patches by reshape + matMul, token mixing, causal attention, GELU (erf), layer norm.
  const m = compose(
    new VisionEncoder({ image: 8, patch: 4, width: 16, classes: 4 }, 3),
    new Mlp({ in: 16, out: 32 }, 4),
    new DecoderLm({ vocab: tokenizer.VOCAB_SIZE, width: 32, layers: 1, heads: 2, context: 16 }, 5),
  );
  const img = T(rand([2, 8, 8], 6)) as tf.Tensor3D;
  const ids = tf.tensor2d([[1, 20, 21, 22], [1, 30, 31, 32]], [2, 4], "int32");
  const logits = Float32Array.from(await tf.tidy(() => m.logits(img, ids)).data());
  const { grads } = tf.variableGrads(() => crossEntropy(tf.slice(m.logits(img, ids), [0, 0, 0], [2, 3, -1]), tf.slice(ids, [0, 1], [2, 3])), m.adapter.params.variables());
  const adapterGrads = await Promise.all(Object.values(grads).map(async (g) => Float32Array.from(await g.data())));
  tf.dispose([x, y, img, ids, ...Object.values(grads)]);
  opt.dispose();
  mlp.params.dispose();
  for (const [, p] of m.parts()) p.params.dispose();
  return { losses, norms, weights, logits, adapterGrads };
}

describe.runIf(required || probe.adapter)(`webgpu (${probe.description})`, () => {
  it("is the backend that runs, and training on it matches cpu", async () => {
    const cpu = await workload("cpu");
    const gpu = await workload("webgpu");
    expect(relDiff(gpu.losses, cpu.losses)).toBeLessThan(1e-5);
    expect(relDiff(gpu.norms, cpu.norms)).toBeLessThan(1e-5);
    // Adam divides by √v, so a gradient entry near zero turns float rounding into a step of up to lr.
    gpu.weights.forEach((w, i) => expect(relDiff(w, cpu.weights[i]!)).toBeLessThan(5e-4));
    expect(relDiff(gpu.logits, cpu.logits)).toBeLessThan(1e-5);
    gpu.adapterGrads.forEach((g, i) => expect(relDiff(g, cpu.adapterGrads[i]!)).toBeLessThan(1e-4));
    // It learned something: the comparison is not between two runs that did nothing.
    expect(cpu.losses[4]!).toBeLessThan(cpu.losses[0]! - 0.1);
  }, 120_000);
});

describe.runIf(required && !probe.adapter)("webgpu required", () => {
  it("finds an adapter", () => {
    expect.fail(`STAGECRAFT_TEST_WEBGPU=1 but ${probe.description}`);
  });
});
