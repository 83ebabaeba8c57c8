import * as tf from "@tensorflow/tfjs-core";
import { tokenizer } from "../models/index.js";
import type { Model } from "./artifact.js";
import { imageBatch, promptText } from "./examples.js";
import type { Row } from "./params.js";

/**
 * Greedy completions of each row's prompt, up to `maxNew` tokens or <eos>, batch by batch. Rows
 * of a batch are right-padded: under the causal mask a row's pads never affect its own positions,
 * so each row reads the logits at its own last token.
 */
export function greedy(model: Model, rows: readonly Row[], maxNew: number, batchSize: number, where: string): string[] {
  const c = model.composed();
  const lm = c?.lm ?? model.only("decoder_lm");
  if (!lm) throw new Error(`generation needs an LM, alone or composed, not ${model.describe()}`);
  const room = lm.config.context - (c?.prefixLength ?? 0);
  const out: string[] = [];
  for (let at = 0; at < rows.length; at += batchSize) {
    const batch = rows.slice(at, at + batchSize);
    const seqs = batch.map((r) => tokenizer.encode(promptText(r), { bos: true }).slice(0, room));
    const starts = seqs.map((s) => s.length);
    const done = seqs.map((s) => s.length >= room);
    const imgs = c ? imageBatch(batch, c.encoder.config.image, where) : undefined;
    try {
      for (let k = 0; k < maxNew && done.some((d) => !d); k++) {
        const len = Math.max(...seqs.map((s) => s.length));
        const ids = new Int32Array(batch.length * len);
        seqs.forEach((s, r) => ids.set(s, r * len));
        const best = tf.tidy(() => {
          const t = tf.tensor2d(ids, [batch.length, len], "int32");
          const logits = c && imgs ? c.logits(imgs, t) : lm.logits(t);
          return tf.argMax(logits, -1).dataSync();
        });
        seqs.forEach((s, r) => {
          if (done[r]) return;
          const next = best[r * len + s.length - 1]!;
          s.push(next);
          if (next === tokenizer.EOS || s.length >= room) done[r] = true;
        });
      }
    } finally {
      imgs?.dispose();
    }
    seqs.forEach((s, r) => out.push(tokenizer.decode(s.slice(starts[r]))));
  }
  return out;
}
