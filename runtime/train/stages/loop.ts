import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { seededRandom } from "../../data/prng.js";
import { fieldDefault } from "../../../src/check/schema.js";
import type { IrNode } from "../../../src/ir/ir.js";
import type { RunnerContext } from "../../runner.js";
import { AdamW } from "../optim.js";
import { writeFileAtomic } from "../../../src/cache/files.js";
import { decodeSafetensors, encodeSafetensors } from "../safetensors.js";
import { num, paramsOf, stageSeed } from "./params.js";

/**
 * The training loop every training stage shares: seeded data order, AdamW with the stage's
 * schedule set per step, periodic checkpoints in the node's work directory (which outlives a killed
 * attempt: the next one resumes from the last checkpoint), per-step metrics and progress events.
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
  /** The checkpoint's step this attempt resumed from (0: it started from the beginning). */
  readonly resumedFrom: number;
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
  return Math.max(1, Math.ceil((rows * num(p["epochs"], fieldDefault("sft", "epochs") as number)) / num(p["batch"], fieldDefault("sft", "batch") as number)));
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
  const batch = Math.min(num(p["batch"], fieldDefault("sft", "batch") as number), spec.rows);
  const every = num(p["checkpoint_every"], fieldDefault("sft", "checkpoint_every") as number);
  const vars = spec.trained.map(([, v]) => v);
  const opt = new AdamW(vars, {
    schedule: p["lr"] ?? 0,
    totalSteps: total,
    weightDecay: num(p["weight_decay"], fieldDefault("sft", "weight_decay") as number),
    decay: spec.decayed,
    ...(typeof p["grad_clip"] === "number" ? { clipNorm: p["grad_clip"] } : {}),
  });
  const next = batchOrder(stageSeed(node, ctx), spec.rows, batch);
  let lines: string[] = [];
  let lastLoss = Number.NaN;
  let start = 0;
  try {
    const resumed = await resume(spec, opt, total);
    if (resumed) ({ step: start, lines, lastLoss } = resumed);
    // The data order is a function of the seed and the step (batchOrder), so step `start` draws the
    // batch an uninterrupted run would; the model has no other random state while training.
    for (let step = start; step < total; step++) {
      if (ctx.signal.aborted) throw new Error("interrupted");
      const t0 = performance.now();
      const { loss, tokens } = spec.batchLoss(next(step));
      const info = await opt.minimize(loss);
      const seconds = (performance.now() - t0) / 1000;
      if (!Number.isFinite(info.loss)) throw new Error(`the loss became ${info.loss} at step ${step + 1} (lower the learning rate?)`);
      lastLoss = info.loss;
      const m: StepMetrics = {
        step: step + 1, loss: info.loss, lr: info.lr, grad_norm: info.gradNorm, tokens,
        tokens_per_s: seconds > 0 ? tokens / seconds : 0, tensors: tf.memory().numTensors,
      };
      lines.push(JSON.stringify(m));
      ctx.emit({ type: "progress", node: node.name, done: step + 1, total });
      if ((step + 1) % every === 0 && step + 1 < total) await checkpoint(spec, opt, step + 1, lines, lastLoss);
      // Let the event loop run: progress gets drawn, and an interrupt is seen between steps.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    opt.dispose();
  }
  return { steps: total, metrics: lines.join("\n") + "\n", lastLoss, resumedFrom: start };
}

const ADAM_M = "__adamw__.m.";
const ADAM_V = "__adamw__.v.";

/** What a checkpoint names and holds: the trained weights (with the optimizer's moments) of one node. */
export type CheckpointSpec = Pick<LoopSpec, "node" | "ctx" | "backend" | "fingerprint" | "trained">;

export const checkpointPath = (ctx: RunnerContext): string => path.join(ctx.work, "checkpoints", "last.safetensors");

/**
 * The trained weights, the optimizer's moments and step, the metrics so far and the last loss after
 * `step`, in one file in the node's work directory, written atomically (a kill mid-write leaves
 * the previous checkpoint). Only the newest is kept.
 */
export async function checkpoint(spec: CheckpointSpec, opt: AdamW, step: number, lines: readonly string[], lastLoss: number): Promise<void> {
  const s = await opt.state();
  const weights = await Promise.all(spec.trained.map(async ([, v]) => Float32Array.from(await v.data())));
  const tensors = spec.trained.flatMap(([name, v], i) => [
    { name, shape: v.shape, data: weights[i]! },
    { name: `${ADAM_M}${name}`, shape: v.shape, data: s.m[i]! },
    { name: `${ADAM_V}${name}`, shape: v.shape, data: s.v[i]! },
  ]);
  const file = checkpointPath(spec.ctx);
  await mkdir(path.dirname(file), { recursive: true });
  const meta = {
    stage: spec.node.name, step, fingerprint: spec.fingerprint, backend: spec.backend, optimizer_step: s.step,
    last_loss: JSON.stringify(lastLoss), metrics: lines.join("\n"),
  };
  await writeFileAtomic(path.dirname(file), file, encodeSafetensors(tensors, meta), { durable: true });
}

/**
 * Puts the weights and optimizer state of the work directory's checkpoint back, when there is one
 * for this node (same fingerprint and backend, the same trained tensors, a step before the end);
 * anything else there is ignored and the stage starts from the beginning.
 */
export async function resume(spec: CheckpointSpec, opt: AdamW, total: number): Promise<{ step: number; lines: string[]; lastLoss: number } | undefined> {
  const bytes = await readFile(checkpointPath(spec.ctx)).catch(() => undefined);
  if (!bytes) return undefined;
  const d = decodeSafetensors(bytes);
  if (!d.ok) return undefined;
  const meta = d.value.metadata;
  const step = Number(meta["step"]);
  const optStep = Number(meta["optimizer_step"]);
  if (meta["fingerprint"] !== spec.fingerprint || meta["backend"] !== spec.backend || !Number.isInteger(step) || step <= 0 || step >= total || !Number.isInteger(optStep)) return undefined;
  const byName = new Map(d.value.tensors.map((t) => [t.name, t]));
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const fits = (name: string, v: tf.Variable) => {
    const t = byName.get(name);
    return t !== undefined && t.data.length === size(v.shape) && t.shape.length === v.shape.length && t.shape.every((x, i) => x === v.shape[i]);
  };
  if (byName.size !== 3 * spec.trained.length || !spec.trained.every(([n, v]) => fits(n, v) && fits(`${ADAM_M}${n}`, v) && fits(`${ADAM_V}${n}`, v))) return undefined;
  for (const [n, v] of spec.trained) tf.tidy(() => v.assign(tf.tensor(byName.get(n)!.data, v.shape, "float32")));
  opt.restore({
    step: optStep,
    m: spec.trained.map(([n]) => byName.get(`${ADAM_M}${n}`)!.data),
    v: spec.trained.map(([n]) => byName.get(`${ADAM_V}${n}`)!.data),
  });
  const lines = (meta["metrics"] ?? "").split("\n").filter(Boolean);
  return { step, lines, lastLoss: Number(JSON.parse(meta["last_loss"] ?? "null") ?? Number.NaN) };
}
