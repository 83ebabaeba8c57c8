import * as tf from "@tensorflow/tfjs-core";
import { seededRandom } from "../../data/prng.js";
import { fusedGelu } from "../gelu-kernel.js";

/**
 * The weights of one model part, in a fixed order under stable local names ("blocks.0.attn.q.w").
 * The order is what the optimizer and checkpoints rely on; the names are what safetensors files
 * carry. Initial values come from a seeded generator in plain JavaScript, so every backend starts
 * from the same bits.
 */
export class ParamSet {
  readonly #vars = new Map<string, tf.Variable>();
  readonly #decay = new Set<string>();
  readonly #normal: () => number;
  #frozen = false;

  constructor(seed: number) {
    const u = seededRandom(seed);
    let spare: number | undefined;
    // Box–Muller; keeps the second value of each pair.
    this.#normal = () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      const r = Math.sqrt(-2 * Math.log(1 - u()));
      const th = 2 * Math.PI * u();
      spare = r * Math.sin(th);
      return r * Math.cos(th);
    };
  }

  #add(name: string, shape: readonly number[], values: Float32Array, decay: boolean): tf.Variable {
    if (this.#vars.has(name)) throw new Error(`parameter '${name}' defined twice`);
    const init = tf.tensor(values, [...shape], "float32");
    const v = tf.variable(init, !this.#frozen);
    init.dispose(); // the variable holds its own reference to the data
    this.#vars.set(name, v);
    if (decay) this.#decay.add(name);
    return v;
  }

  /** A weight matrix or embedding, normal(0, std); weight decay applies to it. */
  normal(name: string, shape: readonly number[], std: number): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = this.#normal() * std;
    return this.#add(name, shape, values, true);
  }

  /** A bias or norm parameter filled with `value`; no weight decay. */
  fill(name: string, shape: readonly number[], value: number): tf.Variable {
    return this.#add(name, shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), false);
  }

  get(name: string): tf.Variable {
    const v = this.#vars.get(name);
    if (!v) throw new Error(`no parameter '${name}'`);
    return v;
  }

  /** Every parameter, in definition order. */
  entries(): [string, tf.Variable][] {
    return [...this.#vars];
  }

  variables(): tf.Variable[] {
    return [...this.#vars.values()];
  }

  /** The parameters weight decay applies to. */
  decayed(): tf.Variable[] {
    return [...this.#vars].filter(([n]) => this.#decay.has(n)).map(([, v]) => v);
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  /** A frozen part gets no weight gradients: its variables are marked untrainable and left out of trainable(). */
  setFrozen(frozen: boolean): void {
    this.#frozen = frozen;
    for (const v of this.#vars.values()) v.trainable = !frozen;
  }

  count(): number {
    let n = 0;
    for (const v of this.#vars.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    this.#vars.clear();
  }
}

/** The interface every built-in part has. */
export interface Part {
  readonly kind: "mlp" | "vision_encoder" | "decoder_lm";
  readonly params: ParamSet;
}

// ---- primitives shared by the parts (all differentiable on cpu and on wasm with the kernel fixes) ----

/**
 * x·wᵀ + b over the last axis, for x of any rank, with w stored [out, in] as PyTorch's nn.Linear
 * stores it (a saved adapter loads into torch as is). On wasm this layout is also the faster one:
 * the kernel fix computes x·wᵀ as (w·xᵀ)ᵀ, so the weight, new after every optimizer step, is never
 * the operand XNNPACK has to repack.
 */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inner = x.shape[x.shape.length - 1]!;
  const out = w.shape[0]!;
  const y = tf.matMul(tf.reshape(x, [-1, inner]), w as tf.Tensor2D, false, true);
  const z = b ? tf.add(y, b) : y;
  return tf.reshape(z, [...x.shape.slice(0, -1), out]);
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)), as PyTorch's nn.GELU() default: one kernel on wasm and cpu (gelu-kernel.ts). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x) ?? geluOps(x);
}

/** GELU composed of TensorFlow.js ops, for the other backends (and as the fused kernel's reference). */
export function geluOps(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** Layer normalisation over the last axis. */
export function layerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gain), bias);
}

/** Mean token cross-entropy of logits [..., V] against integer targets [...]; `weights` (0/1) masks positions. */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  const v = logits.shape[logits.shape.length - 1]!;
  const lp = tf.logSoftmax(tf.reshape(logits, [-1, v]));
  const picked = tf.sum(tf.mul(lp, tf.oneHot(tf.reshape(tf.cast(targets, "int32"), [-1]), v)), -1);
  if (!weights) return tf.neg(tf.mean(picked)) as tf.Scalar;
  const w = tf.reshape(tf.cast(weights, "float32"), [-1]);
  return tf.neg(tf.div(tf.sum(tf.mul(picked, w)), tf.maximum(tf.sum(w), 1))) as tf.Scalar;
}
