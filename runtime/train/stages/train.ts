import * as tf from "@tensorflow/tfjs-core";
import { fieldDefault } from "../../../src/check/schema.js";
import type { Canon, IrNode } from "../../../src/ir/ir.js";
import type { NodeOutcome, RunnerContext } from "../../runner.js";
import { crossEntropy } from "../models/index.js";
import { Model, saveModel, startingModel } from "./artifact.js";
import { imageBatch, tokenBatch } from "./examples.js";
import { trainLoop, type LoopSpec } from "./loop.js";
import { list, num, obj, paramsOf, readRows, str, type Row } from "./params.js";
import { trainingBackend } from "./setup.js";

/** pretrain and sft: the model trains on the stage's rows, then is written as the stage's model artifact. */
export async function runTraining(kind: "pretrain" | "sft", node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
  const backend = (await trainingBackend(ctx)).name;
  const p = paramsOf(node);
  const rows = await readRows(ctx, node);
  const model = await startingModel(p, ctx);
  try {
    const trainedParts = kind === "sft" ? partsToTrain(model, p["train"]) : model.parts.map((x) => x.name);
    const { named, decayed } = model.train(trainedParts);
    const spec: Omit<LoopSpec, "batchLoss"> = { node, ctx, backend, fingerprint: ctx.fingerprint ?? "", rows: rows.length, trained: named, decayed };
    const batchLoss = kind === "pretrain" ? pretrainLoss(model, rows, p, node.name) : sftLoss(model, rows, p, node.name);
    const r = await trainLoop({ ...spec, batchLoss });
    const outputs = await saveModel(ctx.scratch, model, { stage: node.name, step: r.steps, fingerprint: spec.fingerprint, backend });
    return { outputs, metrics: r.metrics, stdout: `${kind} ${model.describe()}: ${r.steps} steps on ${backend}${r.resumedFrom ? ` (resumed from the checkpoint at step ${r.resumedFrom})` : ""}, trained ${trainedParts.join(", ")}, final loss ${r.lastLoss.toFixed(4)}\n`, summary: `final loss ${r.lastLoss.toFixed(3)}${r.resumedFrom ? `, resumed at step ${r.resumedFrom}` : ""}` };
  } finally {
    model.dispose();
  }
}

/** The parts `train` names (default: every part not declared frozen); each must be in the model. */
export function partsToTrain(model: Model, train: Canon | undefined): string[] {
  const names = model.parts.map((x) => x.name);
  if (train === undefined || train === null) return model.parts.filter((x) => !x.frozen).map((x) => x.name);
  const wanted = list(train).map((v) => str(obj(v)["model"]));
  const missing = wanted.filter((w) => !names.includes(w));
  if (missing.length) throw new Error(`train names ${missing.join(", ")}, which the model (${names.join(", ")}) does not have`);
  return wanted;
}

type BatchLoss = LoopSpec["batchLoss"];

function pretrainLoss(model: Model, rows: readonly Row[], p: Readonly<Record<string, Canon>>, where: string): BatchLoss {
  const objective = str(p["objective"], fieldDefault("pretrain", "objective") as string);
  if (objective === "classify") {
    const enc = model.only("vision_encoder");
    if (!enc) throw new Error(`objective "classify" trains a vision encoder alone, not ${model.describe()}`);
    const { image, classes } = enc.config;
    return (idx) => {
      const batch = idx.map((i) => rows[i]!);
      const labels = batch.map((r) => {
        const l = r["label"];
        if (typeof l !== "number" || !Number.isInteger(l) || l < 0 || l >= classes) throw new Error(`${where}: a row's label must be a class from 0 to ${classes - 1}, not ${JSON.stringify(l)}`);
        return l;
      });
      // Every patch's feature is trained to name the class, not only their mean: a composed model's
      // LM reads the patches one by one, through the adapter. Tensors are made inside the loss
      // function: the gradient tape disposes of them.
      const perPatch = labels.flatMap((l) => Array<number>(enc.patches).fill(l));
      return { loss: () => crossEntropy(enc.patchLogits(imageBatch(batch, image, where)), tf.tensor2d(perPatch, [batch.length, enc.patches], "int32")), tokens: batch.length };
    };
  }
  const lm = model.only("decoder_lm");
  if (!lm) throw new Error(`objective "next_token" trains a decoder_lm alone, not ${model.describe()}`);
  const maxLen = Math.min(num(p["context"], lm.config.context), lm.config.context);
  return (idx) => {
    const b = tokenBatch(idx.map((i) => rows[i]!), maxLen, false, true);
    return {
      loss: () => crossEntropy(lm.logits(tf.tensor2d(b.ids, [b.rows, b.length], "int32")), tf.tensor2d(b.targets, [b.rows, b.length], "int32"), tf.tensor2d(b.weights, [b.rows, b.length])),
      tokens: b.tokens,
    };
  };
}

function sftLoss(model: Model, rows: readonly Row[], p: Readonly<Record<string, Canon>>, where: string): BatchLoss {
  const c = model.composed();
  if (!c) throw new Error(`sft trains an encoder >> adapter >> LM composition, not ${model.describe()}`);
  const maxLen = Math.min(num(p["context"], c.lm.config.context), c.lm.config.context) - c.prefixLength;
  return (idx) => {
    const batch = idx.map((i) => rows[i]!);
    const b = tokenBatch(batch, maxLen, true);
    return {
      loss: () => {
        const imgs = imageBatch(batch, c.encoder.config.image, where);
        return crossEntropy(c.logits(imgs, tf.tensor2d(b.ids, [b.rows, b.length], "int32")), tf.tensor2d(b.targets, [b.rows, b.length], "int32"), tf.tensor2d(b.weights, [b.rows, b.length]));
      },
      tokens: b.tokens,
    };
  };
}
