import * as tf from "@tensorflow/tfjs-core";
import { causalMask, type DecoderLm, type KeyValues } from "./decoder.js";

const MASKED = -1e9;

/**
 * Token-by-token decoding with a key/value cache, for generation: the prompts (and an image prefix)
 * go through the LM once, then each step feeds one new token per row and attends to the cached keys
 * and values instead of recomputing every position. Rows keep their own lengths: prompts are
 * right-padded, the pad slots are masked out for good, and a row's new token takes the position
 * after its own last one (attention does not care in which slot a key sits; its position lives in
 * the embedding). The logits equal `lm.logits` over the whole sequence up to float rounding.
 *
 * Holds its cache until `dispose()`.
 */
export class IncrementalDecoder {
  readonly #lm: DecoderLm;
  #cache: KeyValues[] = [];
  /** Per row, per slot: 0 where the row may attend, MASKED where it may not. */
  #open: number[][];
  /** Per row, the position its next token takes. */
  readonly #next: number[];
  readonly #rows: number;

  /**
   * Reads `prompts` (token ids per row; each needs at least one) after the optional `prefix`
   * embeddings [B, P, W]; returns the logits [B, vocab] at each row's last prompt token.
   */
  static async start(lm: DecoderLm, prompts: readonly (readonly number[])[], prefix?: tf.Tensor3D): Promise<{ decoder: IncrementalDecoder; logits: Float32Array }> {
    const d = new IncrementalDecoder(lm, prompts, prefix);
    try {
      return { decoder: d, logits: await d.#prefill(prompts, prefix) };
    } catch (e) {
      d.dispose();
      throw e;
    }
  }

  private constructor(lm: DecoderLm, prompts: readonly (readonly number[])[], prefix?: tf.Tensor3D) {
    if (prompts.some((p) => p.length === 0)) throw new RangeError("every prompt needs at least one token");
    this.#lm = lm;
    this.#rows = prompts.length;
    const pre = prefix?.shape[1] ?? 0;
    const len = pre + Math.max(...prompts.map((p) => p.length));
    this.#open = prompts.map((p) => Array.from({ length: len }, (_, s) => (s < pre + p.length ? 0 : MASKED)));
    this.#next = prompts.map((p) => pre + p.length);
  }

  async #prefill(prompts: readonly (readonly number[])[], prefix?: tf.Tensor3D): Promise<Float32Array> {
    const lm = this.#lm;
    const { width, context, vocab } = lm.config;
    const b = this.#rows;
    const pre = prefix?.shape[1] ?? 0;
    const t = Math.max(...prompts.map((p) => p.length));
    if (pre + t > context) throw new RangeError(`sequence of ${pre + t} positions exceeds the context of ${context}`);
    const ids = new Int32Array(b * t);
    prompts.forEach((p, r) => ids.set(p, r * t));
    const last = Int32Array.from(prompts, (p, r) => r * (pre + t) + pre + p.length - 1);
    const kept: KeyValues[] = [];
    const logits = tf.tidy(() => {
      const tok = lm.embed(tf.tensor2d(ids, [b, t], "int32"));
      let x: tf.Tensor = prefix ? tf.concat([prefix, tok], 1) : tok;
      x = tf.add(x, tf.slice(lm.params.get("pos"), [0, 0], [pre + t, width]));
      const mask = causalMask(pre + t);
      for (let i = 0; i < lm.config.layers; i++) {
        const r = lm.block(x, i, mask);
        x = r.out;
        kept.push({ k: tf.keep(r.k), v: tf.keep(r.v) });
      }
      const rows = tf.gather(tf.reshape(x, [-1, width]), tf.tensor1d(last, "int32"));
      return lm.head(rows);
    });
    this.#cache = kept;
    try {
      // Read asynchronously: the webgpu backend has no synchronous read in Node.
      return Float32Array.from((await logits.data()) as Float32Array).subarray(0, b * vocab);
    } finally {
      logits.dispose();
    }
  }

  /**
   * Feeds one token per row; returns the logits [B, vocab] that follow it. A row that is finished
   * still takes a step (its output is ignored); its position stops at the last one the context has.
   */
  async step(tokens: readonly number[]): Promise<Float32Array> {
    const lm = this.#lm;
    const { width, context, heads } = lm.config;
    const b = this.#rows;
    if (tokens.length !== b) throw new RangeError(`step needs ${b} tokens, got ${tokens.length}`);
    const positions = Int32Array.from(this.#next, (p) => Math.min(p, context - 1));
    for (let r = 0; r < b; r++) {
      this.#open[r]!.push(0);
      this.#next[r]!++;
    }
    const slots = this.#open[0]!.length;
    const mask = new Float32Array(b * heads * slots);
    for (let r = 0; r < b; r++) for (let h = 0; h < heads; h++) mask.set(this.#open[r]!, (r * heads + h) * slots);
    const out = tf.tidy(() => {
      const tok = lm.embed(tf.tensor2d(Int32Array.from(tokens), [b, 1], "int32"));
      const pos = tf.reshape(tf.gather(lm.params.get("pos"), tf.tensor1d(positions, "int32")), [b, 1, width]);
      let x: tf.Tensor = tf.add(tok, pos);
      const m = tf.tensor3d(mask, [b * heads, 1, slots]);
      const next: KeyValues[] = [];
      for (let i = 0; i < lm.config.layers; i++) {
        const r = lm.block(x, i, m, this.#cache[i]);
        x = r.out;
        next.push({ k: tf.keep(r.k), v: tf.keep(r.v) });
      }
      this.#release();
      this.#cache = next;
      return lm.head(tf.reshape(x, [b, width]));
    });
    try {
      return Float32Array.from((await out.data()) as Float32Array);
    } finally {
      out.dispose();
    }
  }

  #release(): void {
    for (const kv of this.#cache) {
      kv.k.dispose();
      kv.v.dispose();
    }
    this.#cache = [];
  }

  dispose(): void {
    this.#release();
  }
}
