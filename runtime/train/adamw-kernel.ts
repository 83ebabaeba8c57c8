import * as tf from "@tensorflow/tfjs-core";
import { JS_KERNEL_BACKENDS, floatInputs, registerJsKernel, runFloat, type FloatKernel, type KernelArgs } from "./kernel-io.js";

/**
 * One AdamW update of one variable as a single kernel (wasm and cpu): the weights, both moments and
 * the gradient are read once and the three results written once. Composed from TensorFlow.js ops
 * the same update is about a dozen elementwise kernels, each a full pass over memory, and on wasm
 * that cost more than the matrix products of the step. The arithmetic is PyTorch's (optim.ts) in
 * float32. On wasm it runs as SIMD code (simd/adamw.wat) over the backend's own memory; on cpu the same
 * operations in the same order, each rounded to float32, so both give the same bits.
 */

export const ADAMW_KERNEL = "StagecraftAdamW";

export interface AdamWAttrs {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Gradient scale from norm clipping (1 = none). */
  readonly clip: number;
  /** w ← w·decay before the update: 1 − lr·λ, or 1 without weight decay. */
  readonly decay: number;
  /** lr / (1 − β₁ᵗ). */
  readonly stepSize: number;
  /** √(1 − β₂ᵗ). */
  readonly bc2Sqrt: number;
}

type Arrays = { w: Float32Array; m: Float32Array; v: Float32Array; g: Float32Array; w1: Float32Array; m1: Float32Array; v1: Float32Array };

const f32 = Math.fround;

/** The .wat's arithmetic in JavaScript: every operation rounded to float32, so the bits match. */
function update(x: Arrays, a: AdamWAttrs): void {
  const { w, m, v, g, w1, m1, v1 } = x;
  const [b1, b2, c1, c2, eps, clip, decay, step, bc2] = [a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.eps, a.clip, a.decay, a.stepSize, a.bc2Sqrt].map(f32) as number[] as [number, number, number, number, number, number, number, number, number];
  for (let i = 0; i < w.length; i++) {
    const gi = f32(g[i]! * clip);
    const mi = f32(f32(b1 * m[i]!) + f32(c1 * gi));
    const vi = f32(f32(b2 * v[i]!) + f32(f32(c2 * gi) * gi));
    m1[i] = mi;
    v1[i] = vi;
    w1[i] = f32(w[i]! * decay) - f32(step * f32(mi / f32(f32(f32(Math.sqrt(vi)) / bc2) + eps)));
  }
}

function kernel(args: KernelArgs): tf.TensorInfo[] {
  const inputs = floatInputs(ADAMW_KERNEL, args, ["w", "m", "v", "g"]);
  const a = args.attrs as unknown as AdamWAttrs;
  const k: FloatKernel = {
    simd: { module: "adamw", fn: "adamw" },
    js: ([w, m, v, g], [w1, m1, v1]) => update({ w: w!, m: m!, v: v!, g: g!, w1: w1!, m1: m1!, v1: v1! }, a),
  };
  const scalars = [a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.eps, a.clip, a.decay, a.stepSize, a.bc2Sqrt];
  return runFloat(args, k, inputs, inputs.slice(0, 3).map((t) => [...t.shape]), scalars);
}

/** Whether the active backend has the fused update (registering it on first use). */
export function fusedAdamW(): boolean {
  registerJsKernel(ADAMW_KERNEL, kernel);
  return JS_KERNEL_BACKENDS.some((b) => b === tf.getBackend());
}

/** w, m and v after one step; the caller assigns them. */
export function adamWStep(w: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, attrs: AdamWAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(ADAMW_KERNEL, { w, m, v, g }, attrs as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
