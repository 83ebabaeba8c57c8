import * as tf from "@tensorflow/tfjs-core";
import { fieldDefault } from "../../../src/check/schema.js";
import type { IrNode } from "../../../src/ir/ir.js";
import type { RowExpr } from "../../../src/ir/row-expr.js";
import { evalRow } from "../../data/row-eval.js";
import type { NodeOutcome, RunnerContext } from "../../runner.js";
import { AdamW } from "../optim.js";
import { saveModel, startingModel, type Model } from "./artifact.js";
import { boxedAnswer, imageBatch } from "./examples.js";
import { batchOrder, checkpoint, resume, totalSteps } from "./loop.js";
import { derivedSeed, num, paramsOf, readRows, stageSeed, type Row } from "./params.js";
import { sampleCompletions, type Sampled } from "./sample.js";
import { trainingBackend } from "./setup.js";
import { partsToTrain } from "./train.js";

/**
 * GRPO as TRL computes it (loss_type "grpo", μ = 1): G completions per prompt, rewards from the
 * stage's reward expression, advantages normalised within the group, the clipped-ratio objective
 * and, when kl > 0, the k3 KL to the stage's starting model.
 */

/** A_i = (r_i − mean) / (std + 1e-4), std with Bessel's correction as TRL's nanstd; a group of one gets 0. */
export function groupAdvantages(rewards: readonly number[]): number[] {
  const n = rewards.length;
  // Equal rewards carry no signal; the float mean of equal values can miss them by an ulp.
  if (n < 2 || rewards.every((r) => r === rewards[0])) return rewards.map(() => 0);
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1));
  return rewards.map((r) => (r - mean) / (std + 1e-4));
}

/** k3 (Schulman 2020): exp(ref − logp) − (ref − logp) − 1; ≥ 0, and 0 where the two agree. */
export function k3(ref: tf.Tensor, logp: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = tf.sub(ref, logp);
    return tf.sub(tf.sub(tf.exp(d), d), 1);
  });
}

/** Per-token −min(ρ·A, clip(ρ, 1−ε, 1+ε)·A) + β·KL, ρ = exp(logp − oldLogp); advantages [N, 1] broadcast over tokens. */
export function grpoTokenLoss(logp: tf.Tensor, oldLogp: tf.Tensor, adv: tf.Tensor, eps: number, beta: number, ref?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(logp, oldLogp));
    const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 1 - eps, 1 + eps), adv));
    const policy = tf.neg(surrogate);
    return ref && beta > 0 ? tf.add(policy, tf.mul(beta, k3(ref, logp))) : policy;
  });
}

/**
 * The batch loss from per-token losses [N, T] and a 0/1 mask of completion tokens: each sequence's
 * mean over its own tokens, then the mean over sequences (TRL's "grpo" aggregation,
 * (1/G)·Σ_i (1/|o_i|)·Σ_t ℓ_{i,t}, here over every group of the batch at once).
 */
export function sequenceMean(tokenLoss: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const perSeq = tf.div(tf.sum(tf.mul(tokenLoss, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
    return tf.mean(perSeq) as tf.Scalar;
  });
}

/** x in value, no gradient (TF.js has no stop_gradient op; a custom gradient of zeros is one). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: tf.clone(args[0] as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as (x: tf.Tensor) => tf.Tensor;

/** A completion's reward: the expression over the row with the completion's fields; booleans count 0/1. */
export function rewardOf(expr: RowExpr, row: Row, s: Pick<Sampled, "ids" | "text">): number {
  const tokens = s.ids.filter((t, i) => !(i === s.ids.length - 1 && t === 2 /* <eos> */)).length;
  const v = evalRow(expr, row, { completion: s.text, boxed_answer: boxedAnswer(s.text) ?? null, completion_tokens: tokens });
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (v === null) return 0;
  throw new Error(`a reward must be a number or a boolean, not ${JSON.stringify(v)}`);
}

/** Teacher-forcing inputs for prompt ++ completion: targets are the completion's tokens (mask 1). */
export function completionBatch(samples: readonly Pick<Sampled, "prompt" | "ids">[]): { ids: Int32Array; targets: Int32Array; mask: Float32Array; rows: number; length: number } {
  const all = samples.map((s) => [...s.prompt, ...s.ids]);
  const length = Math.max(1, ...all.map((a) => a.length - 1));
  const ids = new Int32Array(samples.length * length);
  const targets = new Int32Array(samples.length * length);
  const mask = new Float32Array(samples.length * length);
  all.forEach((a, r) => {
    const from = samples[r]!.prompt.length - 1;
    for (let t = 0; t + 1 < a.length; t++) {
      ids[r * length + t] = a[t]!;
      targets[r * length + t] = a[t + 1]!;
      if (t >= from) mask[r * length + t] = 1;
    }
  });
  return { ids, targets, mask, rows: samples.length, length };
}

/** log p of each target token [N, T] under the model at `temperature` (as the samples were drawn). */
export function tokenLogps(model: Model, rows: readonly Row[], b: ReturnType<typeof completionBatch>, temperature: number, where: string): tf.Tensor2D {
  const c = model.composed();
  const lm = c?.lm ?? model.only("decoder_lm");
  if (!lm) throw new Error(`grpo trains an LM, alone or composed, not ${model.describe()}`);
  const ids = tf.tensor2d(b.ids, [b.rows, b.length], "int32");
  const logits = c ? c.logits(imageBatch(rows, c.encoder.config.image, where), ids) : lm.logits(ids);
  const v = lm.config.vocab;
  const lp = tf.logSoftmax(tf.div(tf.reshape(logits, [-1, v]), temperature));
  const picked = tf.sum(tf.mul(lp, tf.oneHot(tf.tensor1d(b.targets, "int32"), v)), -1);
  return tf.reshape(picked, [b.rows, b.length]) as tf.Tensor2D;
}

interface GrpoStep {
  readonly step: number;
  readonly loss: number;
  readonly reward_mean: number;
  readonly reward_std: number;
  readonly kl?: number;
  readonly lr: number;
  readonly grad_norm: number;
  readonly completion_tokens: number;
  readonly tensors: number;
}

export async function runGrpo(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
  const backend = (await trainingBackend(ctx)).name;
  const p = paramsOf(node);
  const rows = await readRows(ctx, node);
  const reward = p["reward"] as unknown as RowExpr | undefined;
  if (!reward || typeof reward !== "object" || !("op" in reward)) throw new Error(`stage ${node.name} has no reward`);
  const group = num(p["group"], fieldDefault("grpo", "group") as number);
  const temperature = num(p["temperature"], fieldDefault("grpo", "temperature") as number);
  const maxNew = num(p["max_completion"], fieldDefault("grpo", "max_completion") as number);
  const beta = num(p["kl"], fieldDefault("grpo", "kl") as number);
  const eps = num(p["clip"], fieldDefault("grpo", "clip") as number);
  const seed = stageSeed(node, ctx);
  const model = await startingModel(p, ctx);
  // The KL reference is the stage's starting model, held fixed (TRL without sync_ref_model).
  const ref = beta > 0 ? await startingModel(p, ctx) : undefined;
  try {
    const trainedParts = partsToTrain(model, p["train"]);
    const { named, decayed } = model.train(trainedParts);
    const total = totalSteps(node, rows.length);
    const batch = Math.min(num(p["batch"], fieldDefault("grpo", "batch") as number), rows.length);
    const every = num(p["checkpoint_every"], fieldDefault("grpo", "checkpoint_every") as number);
    const opt = new AdamW(named.map(([, v]) => v), {
      schedule: p["lr"] ?? 0, totalSteps: total, weightDecay: num(p["weight_decay"], fieldDefault("grpo", "weight_decay") as number),
      decay: decayed,
      ...(typeof p["grad_clip"] === "number" ? { clipNorm: p["grad_clip"] } : {}),
    });
    const next = batchOrder(seed, rows.length, batch);
    let lines: GrpoStep[] = [];
    let start = 0;
    // Checkpoints as the other training stages write them; prompts and samples are functions of the
    // seed and the step, so a resumed stage draws what an uninterrupted one would.
    const ckpt = { node, ctx, backend, fingerprint: ctx.fingerprint ?? "", trained: named };
    try {
      const resumed = await resume(ckpt, opt, total);
      if (resumed) {
        start = resumed.step;
        lines = resumed.lines.map((l) => JSON.parse(l) as GrpoStep);
      }
      for (let step = start; step < total; step++) {
        if (ctx.signal.aborted) throw new Error("interrupted");
        const prompts = next(step).map((i) => rows[i]!);
        const expanded = prompts.flatMap((r) => Array.from({ length: group }, () => r));
        const samples = await sampleCompletions(model, expanded, { temperature, maxNew, seed: derivedSeed(seed, `grpo:${step}`), batchSize: 64, where: node.name });
        const rewards = samples.map((s, i) => rewardOf(reward, expanded[i]!, s));
        const adv = prompts.flatMap((_, g) => groupAdvantages(rewards.slice(g * group, (g + 1) * group)));
        const b = completionBatch(samples);
        const refLogp = ref ? tf.tidy(() => tokenLogps(ref, expanded, b, temperature, node.name)) : undefined;
        const info = await opt.minimize(() => {
          const logp = tokenLogps(model, expanded, b, temperature, node.name);
          // μ = 1: the sampling policy is the current one, so ρ = 1 in value but carries ∇log π.
          const tokenLoss = grpoTokenLoss(logp, stopGradient(logp), tf.tensor2d(adv, [adv.length, 1]), eps, beta, refLogp);
          return sequenceMean(tokenLoss, tf.tensor2d(b.mask, [b.rows, b.length]));
        });
        const kl = refLogp ? await meanKl(refLogp, samples, b) : undefined;
        refLogp?.dispose();
        if (!Number.isFinite(info.loss)) throw new Error(`the loss became ${info.loss} at step ${step + 1} (lower the learning rate?)`);
        const mean = rewards.reduce((a, r) => a + r, 0) / rewards.length;
        lines.push({
          step: step + 1, loss: info.loss, reward_mean: mean,
          reward_std: Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / rewards.length),
          ...(kl !== undefined ? { kl } : {}), lr: info.lr, grad_norm: info.gradNorm,
          completion_tokens: samples.reduce((a, s) => a + s.ids.length, 0) / samples.length, tensors: tf.memory().numTensors,
        });
        ctx.emit({ type: "progress", node: node.name, done: step + 1, total });
        if ((step + 1) % every === 0 && step + 1 < total) await checkpoint(ckpt, opt, step + 1, lines.map((l) => JSON.stringify(l)), info.loss);
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      opt.dispose();
    }
    const outputs = await saveModel(ctx.scratch, model, { stage: node.name, step: total, fingerprint: ctx.fingerprint ?? "", backend });
    const first = lines[0]?.reward_mean ?? Number.NaN;
    const last = lines.at(-1)?.reward_mean ?? Number.NaN;
    return {
      outputs, metrics: lines.map((l) => JSON.stringify(l)).join("\n") + "\n",
      stdout: `grpo ${model.describe()}: ${total} steps on ${backend}${start ? ` (resumed from the checkpoint at step ${start})` : ""}, ${batch}×${group} completions a step, trained ${trainedParts.join(", ")}, mean reward ${first.toFixed(3)} → ${last.toFixed(3)}\n`,
      summary: `mean reward ${first.toFixed(3)} → ${last.toFixed(3)}${start ? `, resumed at step ${start}` : ""}`,
    };
  } finally {
    model.dispose();
    ref?.dispose();
  }
}

/** The k3 KL per token, averaged per sequence then over sequences, at the sampled policy (before the step). */
async function meanKl(refLogp: tf.Tensor2D, samples: readonly Sampled[], b: ReturnType<typeof completionBatch>): Promise<number> {
  const ref = await refLogp.data();
  let sum = 0;
  samples.forEach((s, r) => {
    if (s.logps.length === 0) return;
    const from = s.prompt.length - 1;
    let k = 0;
    s.logps.forEach((lp, t) => {
      const d = ref[r * b.length + from + t]! - lp;
      k += Math.exp(d) - d - 1;
    });
    sum += k / s.logps.length;
  });
  return sum / samples.length;
}
