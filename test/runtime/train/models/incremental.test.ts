import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecoderLm, tokenizer } from "../../../../runtime/train/models/index.js";
import { IncrementalDecoder } from "../../../../runtime/train/models/incremental.js";
import { seededRandom } from "../../../../runtime/data/prng.js";
import { rand, relDiff, T, use } from "../helpers.js";

const cfg = { vocab: tokenizer.VOCAB_SIZE, width: 16, layers: 2, heads: 4, context: 32 };

/** Full-recompute logits of each row's last token: what the cache must reproduce. */
function fullLogits(lm: DecoderLm, seqs: number[][], prefix?: tf.Tensor3D): Float32Array[] {
  return seqs.map((s, r) =>
    tf.tidy(() => {
      const p = prefix ? (tf.slice(prefix, [r, 0, 0], [1, -1, -1]) as tf.Tensor3D) : undefined;
      const all = lm.logits(tf.tensor2d(s, [1, s.length], "int32"), p);
      return Float32Array.from(tf.slice(all, [0, s.length - 1, 0], [1, 1, -1]).dataSync());
    }),
  );
}

describe.each(["cpu", "wasm"] as const)("incremental decoding on %s", (backend) => {
  let lm: DecoderLm;
  beforeAll(async () => {
    await use(backend);
    lm = new DecoderLm(cfg, 5);
  });
  afterAll(() => lm.params.dispose());

  it.each([false, true])("matches recomputing the whole sequence at every step (image prefix: %s)", async (withPrefix) => {
    const u = seededRandom(9);
    // Prompts of different lengths, so rows sit at different positions and pads must stay masked.
    const seqs = [3, 7, 1, 5].map((n) => [tokenizer.BOS, ...Array.from({ length: n }, () => 4 + Math.floor(u() * 30))]);
    const prefix = withPrefix ? (T(rand([4, 3, cfg.width], 2, 0.5)) as tf.Tensor3D) : undefined;
    const before = tf.memory().numTensors;
    const { decoder, logits: first } = await IncrementalDecoder.start(lm, seqs, prefix);
    let logits = first;
    try {
      for (let step = 0; step < 8; step++) {
        const want = fullLogits(lm, seqs, prefix);
        want.forEach((w, r) => expect(relDiff(logits.subarray(r * cfg.vocab, (r + 1) * cfg.vocab), w)).toBeLessThan(1e-4));
        const next = seqs.map((_, r) => 4 + ((step * 7 + r * 3) % 40));
        seqs.forEach((s, r) => s.push(next[r]!));
        logits = await decoder.step(next);
      }
    } finally {
      decoder.dispose();
    }
    // The cache is released: no tensor outlives the decoder.
    expect(tf.memory().numTensors).toBe(before);
    prefix?.dispose();
  });

  it("refuses an empty prompt and a wrong number of tokens", async () => {
    await expect(IncrementalDecoder.start(lm, [[tokenizer.BOS], []])).rejects.toThrow(/at least one token/);
    const { decoder } = await IncrementalDecoder.start(lm, [[tokenizer.BOS], [tokenizer.BOS, 5]]);
    try {
      await expect(decoder.step([5])).rejects.toThrow(/needs 2 tokens/);
    } finally {
      decoder.dispose();
    }
  });
});
