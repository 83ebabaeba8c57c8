import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { seededRandom } from "../../data/prng.js";
import type { IrNode } from "../../../src/ir/ir.js";
import type { RunnerContext } from "../../runner.js";
import { AdamW } from "../optim.js";
import { encodeSafetensors } from "../safetensors.js";
import { num, paramsOf, stageSeed } from "./params.js";

/**
 * The training loop every training stage shares: seeded data order, AdamW with the stage's
 * schedule set per step, periodic checkpoints in the node's scratch directory, per-step metrics
 * and progress events.
 */
export interface LoopSpec {
  readonly node: IrNode;
  readonly ctx: RunnerContext;
  readonly backend: string;
  readonly fingerprint: string;
  /** Rows in the data; batches are drawn as indices into them. */
  readonly rows: number;
  /** The trained weights under their safetensors names, in a fixed order (the optimizer's). */
  readonly trained: readonly (readonly [string, tf.Variable])[];
  readonly decayed: readonly tf.Variable[];
  /** The loss of one batch (built inside the gradient tape) and the tokens or images it reads. */
  batchLoss(indices: readonly number[]): { readonly loss: () => tf.Scalar; readonly tokens: number };
}

export interface LoopResult {
  readonly steps: number;
  /** Per-step metrics, one JSON object a line. */
  readonly metrics: string;
  readonly lastLoss: number;
}

export interface StepMetrics {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly grad_norm: number;
  readonly tokens: number;
  readonly tokens_per_s: number;
  /** Live tensors after the step: constant from step to step, or something leaks. */
  readonly tensors: number;
}

/** Steps a stage takes: `steps`, or enough batches for `epochs` passes over the rows. */
export function totalSteps(node: IrNode, rows: number): number {
  const p = paramsOf(node);
  if (typeof p["steps"] === "number") return p["steps"];
  return Math.max(1, Math.ceil((rows * num(p["epochs"], 1)) / num(p["batch"], 8)));
}

/** Batch `step` of a seeded sequence of shuffled passes over `rows` (the same for the same seed, so a resumed stage sees the same order). */
export function batchOrder(seed: number, rows: number, batch: number): (step: number) => number[] {
  const u = seededRandom(seed);
  const order: number[] = [];
  const extend = () => {
    const perm = Array.from({ length: rows }, (_, i) => i);
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(u() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    order.push(...perm);
  };
  return (step) => {
    const end = (step + 1) * batch;
    while (order.length < end) extend();
    return order.slice(step * batch, end);
  };
}

export async function trainLoop(spec: LoopSpec): Promise<LoopResult> {
  const { node, ctx } = spec;
  const p = paramsOf(node);
  const total = totalSteps(node, spec.rows);
  const batch = Math.min(num(p["batch"], 8), spec.rows);
  const every = num(p["checkpoint_every"], 50);
  const vars = spec.trained.map(([, v]) => v);
  const opt = new AdamW(vars, {
    schedule: p["lr"] ?? 0,
    totalSteps: total,
    weightDecay: num(p["weight_decay"], 0),
    decay: spec.decayed,
    ...(typeof p["grad_clip"] === "number" ? { clipNorm: p["grad_clip"] } : {}),
  });
  const next = batchOrder(stageSeed(node, ctx), spec.rows, batch);
  const lines: string[] = [];
  let lastLoss = Number.NaN;
  try {
    for (let step = 0; step < total; step++) {
      if (ctx.signal.aborted) throw new Error("interrupted");
      const t0 = performance.now();
      const { loss, tokens } = spec.batchLoss(next(step));
      const info = opt.minimize(loss);
      const seconds = (performance.now() - t0) / 1000;
      if (!Number.isFinite(info.loss)) throw new Error(`the loss became ${info.loss} at step ${step + 1} (lower the learning rate?)`);
      lastLoss = info.loss;
      const m: StepMetrics = {
        step: step + 1, loss: info.loss, lr: info.lr, grad_norm: info.gradNorm, tokens,
        tokens_per_s: seconds > 0 ? tokens / seconds : 0, tensors: tf.memory().numTensors,
      };
      lines.push(JSON.stringify(m));
      ctx.emit({ type: "progress", node: node.name, done: step + 1, total });
      if ((step + 1) % every === 0 && step + 1 < total) await checkpoint(spec, opt, step + 1);
      // Let the event loop run: progress gets drawn, and an interrupt is seen between steps.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    opt.dispose();
  }
  return { steps: total, metrics: lines.join("\n") + "\n", lastLoss };
}

/**
 * The trained weights and the optimizer's moments after `step`, in the scratch directory. Only
 * the newest is kept. (Resuming from it inside a stage is not wired up yet: the executor gives
 * each attempt a fresh scratch directory.)
 */
async function checkpoint(spec: LoopSpec, opt: AdamW, step: number): Promise<void> {
  const s = opt.state();
  const tensors = spec.trained.flatMap(([name, v], i) => [
    { name, shape: v.shape, data: Float32Array.from(v.dataSync()) },
    { name: `__adamw__.m.${name}`, shape: v.shape, data: s.m[i]! },
    { name: `__adamw__.v.${name}`, shape: v.shape, data: s.v[i]! },
  ]);
  const dir = path.join(spec.ctx.scratch, "checkpoints");
  await mkdir(dir, { recursive: true });
  const meta = { stage: spec.node.name, step, fingerprint: spec.fingerprint, backend: spec.backend, optimizer_step: s.step };
  await writeFile(path.join(dir, "last.safetensors"), encodeSafetensors(tensors, meta));
}
