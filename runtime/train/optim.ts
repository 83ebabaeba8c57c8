import * as tf from "@tensorflow/tfjs-core";
import type { Canon } from "../../src/ir/ir.js";
import { lrAt } from "../../src/ir/schedule.js";
import { adamWStep, fusedAdamW } from "./adamw-kernel.js";

/**
 * AdamW with decoupled weight decay, as PyTorch's `torch.optim.AdamW` computes it (TensorFlow.js
 * has no AdamW), with the learning rate set every step from the stage's schedule and optional
 * clipping of the global gradient norm. The update uses no randomness: the same weights, data and
 * schedule give the same result on the same backend.
 *
 * One optimizer per stage. The moment estimates are kept per variable in the order given to the
 * constructor, so that order is fixed for the optimizer's life (checkpoints store it the same way).
 */

export interface AdamWConfig {
  /** The learning-rate schedule in canonical IR form (a number is a constant rate). */
  readonly schedule: Canon;
  /** Steps in the stage; the schedule is evaluated over this many. */
  readonly totalSteps: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Decoupled weight decay λ: w ← w·(1 − lr·λ) before the Adam update (PyTorch default 0.01). */
  readonly weightDecay?: number;
  /** Variables that decay; default all. Biases and norm gains are usually left out. */
  readonly decay?: readonly tf.Variable[];
  /** Clip the global L2 norm of all gradients to this value (PyTorch's clip_grad_norm_). */
  readonly clipNorm?: number;
  /** Read the global gradient norm back every step (a metric; costs a sync). Default true; always on with clipNorm. */
  readonly measureGradNorm?: boolean;
  /** Use the one-pass update kernel where the backend has it (wasm, cpu). Default true; false composes TensorFlow.js ops. */
  readonly fused?: boolean;
}

export interface StepInfo {
  /** 0-based index of the step just taken. */
  readonly step: number;
  readonly lr: number;
  /** Global L2 norm of the gradients before clipping; NaN when not measured. */
  readonly gradNorm: number;
}

/** Moment estimates, for checkpoints: m and v per variable, in the optimizer's order. */
export interface AdamWState {
  readonly step: number;
  readonly m: readonly Float32Array[];
  readonly v: readonly Float32Array[];
}

export class AdamW {
  readonly #vars: readonly tf.Variable[];
  readonly #decays: readonly boolean[];
  readonly #m: tf.Variable[];
  readonly #v: tf.Variable[];
  readonly #cfg: Required<Omit<AdamWConfig, "decay" | "clipNorm" | "measureGradNorm" | "fused">> & { readonly measureGradNorm: boolean; readonly fused: boolean } & { readonly clipNorm?: number };
  #step = 0;

  constructor(vars: readonly tf.Variable[], cfg: AdamWConfig) {
    if (vars.length === 0) throw new Error("AdamW needs at least one variable");
    if (new Set(vars).size !== vars.length) throw new Error("AdamW was given a variable twice");
    this.#vars = vars;
    const decay = new Set(cfg.decay ?? vars);
    this.#decays = vars.map((v) => decay.has(v));
    // Slots are created up front so the tensor count is the same before and after the first step.
    this.#m = vars.map((v) => zeroSlot(v));
    this.#v = vars.map((v) => zeroSlot(v));
    this.#cfg = {
      schedule: cfg.schedule,
      totalSteps: cfg.totalSteps,
      beta1: cfg.beta1 ?? 0.9,
      beta2: cfg.beta2 ?? 0.999,
      eps: cfg.eps ?? 1e-8,
      weightDecay: cfg.weightDecay ?? 0.01,
      measureGradNorm: cfg.measureGradNorm ?? true,
      fused: cfg.fused ?? true,
      ...(cfg.clipNorm !== undefined ? { clipNorm: cfg.clipNorm } : {}),
    };
  }

  /** Steps taken so far (the index of the next step). */
  get step(): number {
    return this.#step;
  }

  get variables(): readonly tf.Variable[] {
    return this.#vars;
  }

  /** The learning rate the next step will use. */
  get lr(): number {
    return lrAt(this.#cfg.schedule, this.#step, this.#cfg.totalSteps);
  }

  /**
   * Computes the gradients of `loss` with respect to this optimizer's variables only (frozen
   * weights get none) and applies one step. Returns the loss value with the step's figures.
   */
  async minimize(loss: () => tf.Scalar): Promise<StepInfo & { readonly loss: number }> {
    const { value, grads } = tf.variableGrads(loss, [...this.#vars]);
    try {
      const info = await this.apply(this.#vars.map((v) => grads[v.name] ?? null));
      return { ...info, loss: (await value.data())[0]! };
    } finally {
      value.dispose();
      tf.dispose(grads);
    }
  }

  /** Applies one step with gradients given in the optimizer's variable order (null = no gradient). The caller keeps ownership of them. */
  async apply(grads: readonly (tf.Tensor | null)[]): Promise<StepInfo> {
    if (grads.length !== this.#vars.length) throw new Error(`AdamW expected ${this.#vars.length} gradients, got ${grads.length}`);
    const { beta1, beta2, eps, weightDecay, clipNorm, measureGradNorm } = this.#cfg;
    const lr = this.lr;
    const t = this.#step + 1;
    const bc1 = 1 - beta1 ** t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const gradNorm = measureGradNorm || clipNorm !== undefined ? await globalNorm(grads) : Number.NaN;
    const clip = clipNorm !== undefined && gradNorm > clipNorm ? clipNorm / (gradNorm + 1e-6) : 1;
    const fused = this.#cfg.fused && fusedAdamW();
    tf.tidy(() => {
      grads.forEach((g0, i) => {
        if (!g0) return;
        const w = this.#vars[i]!;
        const m = this.#m[i]!;
        const v = this.#v[i]!;
        const decay = this.#decays[i] && weightDecay !== 0 ? 1 - lr * weightDecay : 1;
        if (fused) {
          // The same arithmetic in one pass (adamw-kernel.ts), where the backend has it.
          const [w1, m1, v1] = adamWStep(w, m, v, g0, { beta1, beta2, eps, clip, decay, stepSize: lr / bc1, bc2Sqrt });
          m.assign(m1);
          v.assign(v1);
          w.assign(w1);
          return;
        }
        const g = clip === 1 ? g0 : tf.mul(g0, clip);
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        // PyTorch's arithmetic: denom = √v / √(1−β₂ᵗ) + ε; w ← w·(1 − lr·λ) − (lr / (1−β₁ᵗ))·m / denom
        const denom = tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), eps);
        const decayed = decay !== 1 ? tf.mul(w, decay) : w;
        const w1 = tf.sub(decayed, tf.mul(tf.div(m1, denom), lr / bc1));
        m.assign(m1);
        v.assign(v1);
        w.assign(w1);
      });
    });
    const step = this.#step;
    this.#step = t;
    return { step, lr, gradNorm };
  }

  /** Copies the step count and moments out (checkpoints). */
  async state(): Promise<AdamWState> {
    const read = (xs: tf.Variable[]) => Promise.all(xs.map(async (x) => Float32Array.from(await x.data())));
    return { step: this.#step, m: await read(this.#m), v: await read(this.#v) };
  }

  /** Restores what `state()` returned (resuming a stage). */
  restore(s: AdamWState): void {
    if (s.m.length !== this.#vars.length || s.v.length !== this.#vars.length) throw new Error("AdamW state is for a different variable list");
    this.#vars.forEach((w, i) => {
      tf.tidy(() => {
        this.#m[i]!.assign(tf.tensor(s.m[i]!, w.shape, "float32"));
        this.#v[i]!.assign(tf.tensor(s.v[i]!, w.shape, "float32"));
      });
    });
    this.#step = s.step;
  }

  dispose(): void {
    tf.dispose([...this.#m, ...this.#v]);
  }
}

function zeroSlot(like: tf.Variable): tf.Variable {
  const z = tf.zerosLike(like);
  const slot = tf.variable(z, false);
  z.dispose(); // the variable holds its own reference to the data
  return slot;
}

/** √(Σ‖g‖²) over all gradients, read back as a number (also the grad-norm metric). */
export async function globalNorm(grads: readonly (tf.Tensor | null)[]): Promise<number> {
  const present = grads.filter((g): g is tf.Tensor => g !== null);
  if (present.length === 0) return 0;
  const sq = tf.tidy(() => tf.addN(present.map((g) => tf.sum(tf.square(g)))));
  const total = (await sq.data())[0]!;
  sq.dispose();
  return Math.sqrt(total);
}
