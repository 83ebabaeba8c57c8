import * as tf from "@tensorflow/tfjs-core";
import { ParamSet, gelu, layerNorm, linear, type Part } from "./params.js";

/**
 * `decoder_lm(vocab, width, layers, heads, context)`: a decoder-only transformer, pre-LN, learned
 * positions, causal multi-head self-attention and a GELU MLP (4× width). Tokens are embedded as
 * one-hot × matrix rather than by gather: the wasm backend has no trainable gather gradient of its
 * own, and the matMul form trains the same table. `logits(ids, prefix)` accepts prefix embeddings
 * (a composed model's adapter output) that take the first positions ahead of the tokens.
 */
export interface DecoderConfig {
  readonly vocab: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly context: number;
}

const MASKED = -1e9;

export class DecoderLm implements Part {
  readonly kind = "decoder_lm" as const;
  readonly params: ParamSet;
  readonly config: DecoderConfig;

  constructor(cfg: DecoderConfig, seed: number) {
    if (cfg.width % cfg.heads !== 0) throw new RangeError(`heads ${cfg.heads} do not divide width ${cfg.width}`);
    this.config = { ...cfg };
    const { vocab, width: w, layers, context } = cfg;
    const p = new ParamSet(seed);
    p.normal("tok", [vocab, w], 0.02);
    p.normal("pos", [context, w], 0.02);
    const s = 1 / Math.sqrt(w);
    for (let i = 0; i < layers; i++) {
      const k = `blocks.${i}`;
      p.fill(`${k}.ln1.g`, [w], 1);
      p.fill(`${k}.ln1.b`, [w], 0);
      for (const m of ["q", "k", "v"]) p.normal(`${k}.attn.${m}.w`, [w, w], s);
      p.normal(`${k}.attn.o.w`, [w, w], s / Math.sqrt(2 * layers));
      p.fill(`${k}.attn.o.b`, [w], 0);
      p.fill(`${k}.ln2.g`, [w], 1);
      p.fill(`${k}.ln2.b`, [w], 0);
      p.normal(`${k}.mlp.fc.w`, [4 * w, w], s);
      p.fill(`${k}.mlp.fc.b`, [4 * w], 0);
      p.normal(`${k}.mlp.proj.w`, [w, 4 * w], 1 / Math.sqrt(4 * w) / Math.sqrt(2 * layers));
      p.fill(`${k}.mlp.proj.b`, [w], 0);
    }
    p.fill("ln.g", [w], 1);
    p.fill("ln.b", [w], 0);
    p.normal("head.w", [vocab, w], s);
    p.fill("head.b", [vocab], 0);
    this.params = p;
  }

  /** Token embeddings [B, T, width] for integer ids [B, T]. */
  embed(ids: tf.Tensor): tf.Tensor3D {
    const [b, t] = ids.shape as [number, number];
    const oneHot = tf.cast(tf.oneHot(tf.reshape(tf.cast(ids, "int32"), [-1]), this.config.vocab), "float32");
    return tf.reshape(tf.matMul(oneHot as tf.Tensor2D, this.params.get("tok") as tf.Tensor2D), [b, t, this.config.width]);
  }

  /**
   * Next-token logits [B, T, vocab] at the token positions: logits[:, t] is computed at position
   * P + t (P = prefix length) and predicts token t + 1.
   */
  logits(ids: tf.Tensor, prefix?: tf.Tensor3D): tf.Tensor3D {
    const [b, t] = ids.shape as [number, number];
    const pre = prefix?.shape[1] ?? 0;
    const len = pre + t;
    const { width, context } = this.config;
    if (len > context) throw new RangeError(`sequence of ${len} positions exceeds the context of ${context}`);
    const tok = this.embed(ids);
    let x: tf.Tensor = prefix ? tf.concat([prefix, tok], 1) : tok;
    x = tf.add(x, tf.slice(this.params.get("pos"), [0, 0], [len, width]));
    const mask = causalMask(len);
    for (let i = 0; i < this.config.layers; i++) x = this.block(x, i, mask).out;
    return this.head(pre ? tf.slice(x, [0, pre, 0], [b, t, width]) : x) as tf.Tensor3D;
  }

  /**
   * One transformer block over x [B, L, W]. With `past` (keys and values [B·H, S, dh] of earlier
   * positions) the new keys and values are appended after them and `mask` is [B·H or 1, L, S + L];
   * the keys and values of all positions come back for the next call.
   */
  block(x: tf.Tensor, i: number, mask: tf.Tensor, past?: KeyValues): { out: tf.Tensor } & KeyValues {
    const p = (n: string): tf.Variable => this.params.get(`blocks.${i}.${n}`);
    const [b, len, w] = x.shape as [number, number, number];
    const h = this.config.heads;
    const dh = w / h;
    const a = layerNorm(x, p("ln1.g"), p("ln1.b"));
    // [B, L, W] → [B·H, L, dh]
    const split = (m: string): tf.Tensor3D =>
      tf.reshape(tf.transpose(tf.reshape(linear(a, p(`attn.${m}.w`)), [b, len, h, dh]), [0, 2, 1, 3]), [b * h, len, dh]);
    const q = split("q");
    const k = past ? tf.concat([past.k, split("k")], 1) : split("k");
    const v = past ? tf.concat([past.v, split("v")], 1) : split("v");
    const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), mask));
    const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v), [b, h, len, dh]), [0, 2, 1, 3]), [b, len, w]);
    const x1 = tf.add(x, linear(o, p("attn.o.w"), p("attn.o.b")));
    const c = layerNorm(x1, p("ln2.g"), p("ln2.b"));
    const out = tf.add(x1, linear(gelu(linear(c, p("mlp.fc.w"), p("mlp.fc.b"))), p("mlp.proj.w"), p("mlp.proj.b")));
    return { out, k, v };
  }

  /** Final layer norm and output head: logits over the vocabulary for hidden states [..., W]. */
  head(x: tf.Tensor): tf.Tensor {
    const p = (n: string): tf.Variable => this.params.get(n);
    return linear(layerNorm(x, p("ln.g"), p("ln.b")), p("head.w"), p("head.b"));
  }
}

/** Keys and values of one layer, [B·H, positions, dh]. */
export interface KeyValues {
  readonly k: tf.Tensor3D;
  readonly v: tf.Tensor3D;
}

/** [L, L] additive mask: 0 where a position may attend (itself and earlier), −1e9 after it. */
export function causalMask(len: number): tf.Tensor2D {
  const m = new Float32Array(len * len);
  for (let r = 0; r < len; r++) for (let c = r + 1; c < len; c++) m[r * len + c] = MASKED;
  return tf.tensor2d(m, [len, len]);
}
