import * as tf from "@tensorflow/tfjs-core";
import { seededRandom } from "../../data/prng.js";
import { tokenizer } from "../models/index.js";
import { IncrementalDecoder } from "../models/incremental.js";
import type { Model } from "./artifact.js";
import { imageBatch, promptText } from "./examples.js";
import { derivedSeed, type Row } from "./params.js";

/**
 * Sampled completions: the model's next-token distribution at `temperature` (0 means argmax),
 * optionally with a per-row repetition penalty on the tokens the row has generated so far. Each row
 * draws from its own PRNG, seeded from `seed` and the row's position, so a row's completion does not
 * depend on how rows are batched, and the same seed gives the same completions.
 */
export interface SampleOptions {
  readonly temperature: number;
  readonly maxNew: number;
  readonly seed: number;
  /** Repetition penalty per row (1 = none); default none. */
  readonly penalties?: readonly number[];
  readonly batchSize?: number;
  readonly where: string;
}

export interface Sampled {
  /** Prompt tokens (with <bos>), as the model read them. */
  readonly prompt: readonly number[];
  /** Generated tokens, ending with <eos> when the model stopped by itself. */
  readonly ids: readonly number[];
  /** log p of each generated token under the distribution it was drawn from (temperature-scaled, penalised). */
  readonly logps: readonly number[];
  readonly text: string;
}

/**
 * The standard (CTRL / Hugging Face) repetition penalty: a logit of a token already generated is
 * divided by `p` when positive and multiplied by `p` when negative, so it always becomes less likely.
 */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, p: number): Float32Array {
  const out = Float32Array.from(logits);
  if (p === 1) return out;
  for (const id of new Set(seen)) {
    const x = out[id];
    if (x !== undefined) out[id] = x > 0 ? x / p : x * p;
  }
  return out;
}

/** log-softmax of logits / temperature, in float64. */
export function logSoftmax(logits: ArrayLike<number>, temperature: number): Float64Array {
  const t = temperature > 0 ? temperature : 1;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / t);
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i]! / t - max);
  const lz = max + Math.log(z);
  return Float64Array.from({ length: logits.length }, (_, i) => logits[i]! / t - lz);
}

/** A token drawn from log-probabilities with one uniform number (inverse CDF); argmax at temperature 0. */
export function drawToken(logp: Float64Array, u: number, greedy: boolean): number {
  let best = 0;
  for (let i = 1; i < logp.length; i++) if (logp[i]! > logp[best]!) best = i;
  if (greedy) return best;
  let acc = 0;
  for (let i = 0; i < logp.length; i++) {
    acc += Math.exp(logp[i]!);
    if (u < acc) return i;
  }
  return best; // u landed in the rounding gap above the last cumulative sum
}

/**
 * Completions of each row's prompt, up to `maxNew` tokens or <eos>, decoded incrementally over a
 * key/value cache (see models/incremental.ts).
 */
export async function sampleCompletions(model: Model, rows: readonly Row[], o: SampleOptions): Promise<Sampled[]> {
  const c = model.composed();
  const lm = c?.lm ?? model.only("decoder_lm");
  if (!lm) throw new Error(`generation needs an LM, alone or composed, not ${model.describe()}`);
  const room = lm.config.context - (c?.prefixLength ?? 0);
  const vocab = lm.config.vocab;
  const batchSize = o.batchSize ?? 32;
  const greedy = o.temperature === 0;
  const out: Sampled[] = [];
  for (let at = 0; at < rows.length; at += batchSize) {
    const batch = rows.slice(at, at + batchSize);
    const seqs = batch.map((r) => tokenizer.encode(promptText(r), { bos: true }).slice(0, room));
    const starts = seqs.map((s) => s.length);
    const logps = batch.map((): number[] => []);
    const rands = batch.map((_, r) => seededRandom(derivedSeed(o.seed, `sample:${at + r}`)));
    const done = seqs.map((s) => s.length >= room);
    const prefix = c ? tf.tidy(() => c.prefix(imageBatch(batch, c.encoder.config.image, o.where))) : undefined;
    const started = IncrementalDecoder.start(lm, seqs, prefix);
    const { decoder, logits: first } = await started.finally(() => prefix?.dispose());
    try {
      let logits = first;
      for (let k = 0; k < o.maxNew && done.some((d) => !d); k++) {
        if (k > 0) logits = await decoder.step(seqs.map((s) => s.at(-1)!));
        seqs.forEach((s, r) => {
          if (done[r]) return;
          const row = logits.subarray(r * vocab, (r + 1) * vocab);
          const p = o.penalties?.[at + r] ?? 1;
          const lp = logSoftmax(p === 1 ? row : applyRepetitionPenalty(row, s.slice(starts[r]), p), o.temperature);
          // Draw even when greedy, so every row's stream advances the same way at any temperature.
          const next = drawToken(lp, rands[r]!(), greedy);
          s.push(next);
          logps[r]!.push(lp[next]!);
          if (next === tokenizer.EOS || s.length >= room) done[r] = true;
        });
      }
    } finally {
      decoder.dispose();
    }
    seqs.forEach((s, r) => {
      const ids = s.slice(starts[r]);
      out.push({ prompt: s.slice(0, starts[r]), ids, logps: logps[r]!, text: tokenizer.decode(ids) });
    });
  }
  return out;
}
