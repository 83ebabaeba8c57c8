import * as tf from "@tensorflow/tfjs-core";
import { tokenizer } from "../models/index.js";
import type { Row } from "./params.js";

/**
 * How rows become model inputs. A prompt is the question and a newline; the completion is
 * `<think>rationale</think> \boxed{answer}` (a distilled `cot` replaces the rationale; without
 * either it is just `\boxed{answer}`). Pretraining reads prompt and completion as one text.
 *
 * The image slot: a composed model reads the adapter's output in the positions ahead of <bos>. A
 * text row may carry `image_text`, what an image would show written as text (the digit, once per
 * image patch: "7777" for a 4-patch encoder); LM pretraining puts its tokens in those same
 * positions, without loss on them. The LM then learns to read the slot, and adapter-only SFT only
 * has to map image features into the embeddings the LM already reads there (as the recipe's
 * adapter maps into the LLM's embedding space) instead of teaching a frozen LM a new input.
 */
const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "");

export function promptText(row: Row): string {
  return `${text(row["question"])}\n`;
}

/** The text a row puts in the image slot during LM pretraining ("" when none). */
export function imageSlotText(row: Row): string {
  return text(row["image_text"]);
}

export function completionText(row: Row): string {
  const why = (text(row["cot"]) || text(row["rationale"])).trim();
  // Generated rationales may carry their <think> tags already: never wrap them twice.
  const think = !why ? "" : why.startsWith("<think>") ? `${why} ` : `<think>${why}</think> `;
  return `${think}\\boxed{${text(row["answer"])}}`;
}

/** The answer inside the last `\boxed{...}` of a completion (braces nest), or undefined. */
export function boxedAnswer(s: string): string | undefined {
  const at = s.lastIndexOf("\\boxed{");
  if (at < 0) return undefined;
  let depth = 1;
  for (let i = at + 7; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth === 0) return s.slice(at + 7, i).trim();
  }
  return undefined;
}

export function answerOf(row: Row): string {
  return text(row["answer"]).trim();
}

/** A row's image as a flat array of image² values. */
export function imageOf(row: Row, side: number, where: string): Float32Array {
  const img = row["image"];
  if (!Array.isArray(img) || img.length !== side * side || !img.every((x) => typeof x === "number")) {
    throw new Error(`${where}: a row's image must be a flat array of ${side}×${side} numbers`);
  }
  return Float32Array.from(img as number[]);
}

/** Images of `rows` as one [B, side, side] tensor. */
export function imageBatch(rows: readonly Row[], side: number, where: string): tf.Tensor3D {
  const data = new Float32Array(rows.length * side * side);
  rows.forEach((r, i) => data.set(imageOf(r, side, where), i * side * side));
  return tf.tensor3d(data, [rows.length, side, side]);
}

/** Teacher-forcing inputs: ids[t] predicts targets[t]; weights mark the positions that count. */
export interface TokenBatch {
  readonly ids: Int32Array;
  readonly targets: Int32Array;
  readonly weights: Float32Array;
  readonly rows: number;
  readonly length: number;
  /** Positions with weight 1: the tokens the loss reads. */
  readonly tokens: number;
}

/**
 * Token rows for next-token training, cut to `maxLen` inputs. With `lossOnCompletion` only the
 * completion's tokens (and the closing <eos>) carry loss; otherwise every token after <bos>. With
 * `imageSlot` (text pretraining) a row's `image_text` goes ahead of <bos>, where a composed
 * model's image prefix goes, and carries no loss.
 */
export function tokenBatch(rows: readonly Row[], maxLen: number, lossOnCompletion: boolean, imageSlot = false): TokenBatch {
  const seqs = rows.map((r) => {
    const slot = imageSlot ? tokenizer.encode(imageSlotText(r)) : [];
    const p = tokenizer.encode(promptText(r), { bos: true });
    const c = tokenizer.encode(completionText(r), { eos: true });
    return { all: [...slot, ...p, ...c], from: slot.length + (lossOnCompletion ? p.length : 1) };
  });
  const length = Math.max(1, Math.min(maxLen, Math.max(...seqs.map((s) => s.all.length - 1))));
  const ids = new Int32Array(rows.length * length);
  const targets = new Int32Array(rows.length * length);
  const weights = new Float32Array(rows.length * length);
  let tokens = 0;
  seqs.forEach((s, r) => {
    for (let t = 0; t < length && t + 1 < s.all.length; t++) {
      ids[r * length + t] = s.all[t]!;
      targets[r * length + t] = s.all[t + 1]!;
      if (t + 1 >= s.from) {
        weights[r * length + t] = 1;
        tokens++;
      }
    }
  });
  return { ids, targets, weights, rows: rows.length, length, tokens };
}
