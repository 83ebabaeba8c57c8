import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AdamW } from "../../../runtime/train/optim.js";
import { DecoderLm, Mlp, VisionEncoder, compose, createPart, crossEntropy, gelu, layerNorm, tokenizer } from "../../../runtime/train/models/index.js";
import { T, rand, relDiff, use } from "./helpers.js";

const bits = (v: tf.Tensor): Float32Array => Float32Array.from(v.dataSync());
const small = { vocab: tokenizer.VOCAB_SIZE, width: 16, layers: 2, heads: 4, context: 24 };
const ids = (rows: number[][]): tf.Tensor2D => tf.tensor2d(rows, [rows.length, rows[0]!.length], "int32");

let owned: { params: { dispose(): void } }[] = [];
const keep = <P extends { params: { dispose(): void } }>(p: P): P => (owned.push(p), p);
afterEach(() => {
  owned.forEach((p) => p.params.dispose());
  owned = [];
});

beforeAll(() => use("cpu"));

describe("primitives", () => {
  it("GELU is the exact (erf) form PyTorch's nn.GELU() computes", () => {
    const y = tf.tidy(() => bits(gelu(tf.tensor1d([-1, 0, 0.5, 1, 3]))));
    // 0.5·x·(1 + erf(x/√2)), from PyTorch 1.13
    [-0.15865526, 0, 0.34573123, 0.84134475, 2.99595031].forEach((want, i) => expect(y[i]).toBeCloseTo(want, 6));
  });

  it("layer norm normalises the last axis, then scales and shifts", () => {
    const y = tf.tidy(() => bits(layerNorm(tf.tensor2d([1, 2, 3, 4], [1, 4]), tf.tensor1d([1, 1, 2, 2]), tf.tensor1d([0, 0, 0, 1]))));
    const s = Math.sqrt(1.25 + 1e-5);
    [-1.5 / s, -0.5 / s, (2 * 0.5) / s, (2 * 1.5) / s + 1].forEach((want, i) => expect(y[i]).toBeCloseTo(want, 5));
  });

  it("cross-entropy is the mean negative log-likelihood, over unmasked positions only", () => {
    const logits = tf.tensor2d([0, 0, Math.log(3), 0, 0, 0], [2, 3]);
    const full = tf.tidy(() => crossEntropy(logits, tf.tensor1d([2, 1], "int32")).dataSync()[0]!);
    expect(full).toBeCloseTo((-Math.log(3 / 5) - Math.log(1 / 3)) / 2, 6);
    const masked = tf.tidy(() => crossEntropy(logits, tf.tensor1d([2, 1], "int32"), tf.tensor1d([1, 0])).dataSync()[0]!);
    expect(masked).toBeCloseTo(-Math.log(3 / 5), 6);
    logits.dispose();
  });
});

describe("built-in parts", () => {
  it("follow the language's constructors and defaults", () => {
    const mlp = keep(createPart("mlp", { in: 12, out: 20 }, 1) as Mlp);
    expect(mlp.config).toEqual({ in: 12, out: 20, hidden: 20, layers: 2 });
    expect(mlp.params.entries().map(([n, v]) => [n, v.shape])).toEqual([
      ["layers.0.w", [20, 12]], // [out, in], as torch.nn.Linear stores it
      ["layers.0.b", [20]],
      ["layers.1.w", [20, 20]],
      ["layers.1.b", [20]],
    ]);
    const enc = keep(createPart("vision_encoder", { image: 8, patch: 4, width: 32 }, 1) as VisionEncoder);
    expect(enc.config).toMatchObject({ layers: 1, classes: 10, channels: 1 });
    const lm = keep(createPart("decoder_lm", { width: 16, layers: 1, heads: 2, context: 8 }, 1) as DecoderLm);
    expect(lm.config.vocab).toBe(tokenizer.VOCAB_SIZE);
    expect(() => createPart("vision_encoder", { image: 9, patch: 4, width: 8 }, 1)).toThrow(/does not divide/);
    expect(() => createPart("decoder_lm", { width: 10, layers: 1, heads: 4, context: 8 }, 1)).toThrow(/do not divide/);
  });

  it("give the documented shapes", () => {
    const mlp = keep(new Mlp({ in: 6, out: 5, hidden: 7, layers: 3 }, 1));
    const enc = keep(new VisionEncoder({ image: 8, patch: 2, width: 12, layers: 2, classes: 3 }, 2));
    const lm = keep(new DecoderLm(small, 3));
    tf.tidy(() => {
      expect(mlp.apply(T(rand([4, 6], 1))).shape).toEqual([4, 5]);
      expect(mlp.apply(T(rand([2, 3, 6], 1))).shape).toEqual([2, 3, 5]);
      const img = T(rand([2, 8, 8], 4));
      expect(enc.patchify(img).shape).toEqual([2, 16, 4]);
      expect(enc.features(img).shape).toEqual([2, 16, 12]);
      expect(enc.classify(img).shape).toEqual([2, 3]);
      expect(lm.logits(ids([[1, 5, 6], [1, 7, 8]])).shape).toEqual([2, 3, small.vocab]);
      expect(lm.logits(ids([[1, 5, 6], [1, 7, 8]]), T(rand([2, 4, 16], 5)) as tf.Tensor3D).shape).toEqual([2, 3, small.vocab]);
      expect(() => lm.logits(ids([Array.from({ length: 25 }, () => 5)]))).toThrow(/exceeds the context/);
    });
  });

  it("cut patches in reading order", () => {
    const enc = keep(new VisionEncoder({ image: 4, patch: 2, width: 4 }, 1));
    const img = tf.reshape(tf.range(0, 16), [1, 4, 4]);
    // the first patch is the top-left 2×2 block: pixels 0, 1, 4, 5
    expect(Array.from(tf.tidy(() => enc.patchify(img)).dataSync()).slice(0, 8)).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
    img.dispose();
  });

  it("mask attention causally: a later token never changes earlier logits", () => {
    const lm = keep(new DecoderLm(small, 4));
    const prefix = T(rand([1, 3, 16], 6)) as tf.Tensor3D;
    for (const pre of [undefined, prefix]) {
      const a = tf.tidy(() => bits(lm.logits(ids([[1, 10, 20, 30, 40]]), pre)));
      const b = tf.tidy(() => bits(lm.logits(ids([[1, 10, 20, 30, 77]]), pre)));
      const v = small.vocab;
      expect(relDiff(a.slice(0, 4 * v), b.slice(0, 4 * v))).toBeLessThan(1e-6);
      expect(relDiff(a.slice(4 * v), b.slice(4 * v))).toBeGreaterThan(1e-3);
    }
    prefix.dispose();
  });
});

describe("compose", () => {
  const build = (): ReturnType<typeof compose> => {
    const enc = keep(new VisionEncoder({ image: 8, patch: 4, width: 12 }, 1));
    const adapter = keep(new Mlp({ in: 12, out: 16 }, 2));
    const lm = keep(new DecoderLm(small, 3));
    return compose(enc, adapter, lm, { encoder: "enc", lm: "direct" });
  };

  it("prepends the adapter output to the token embeddings", () => {
    const m = build();
    expect(m.prefixLength).toBe(4);
    const text = ids([[1, 40, 41, 42]]);
    const a = tf.tidy(() => bits(m.logits(T(rand([1, 8, 8], 1)), text)));
    const b = tf.tidy(() => bits(m.logits(T(rand([1, 8, 8], 2)), text)));
    expect(a.length).toBe(4 * small.vocab);
    expect(relDiff(a, b)).toBeGreaterThan(1e-3); // the image reaches every text position
    expect(m.namedParams().map(([n]) => n)).toContain("adapter.layers.0.w");
    expect(m.namedParams().map(([n]) => n)).toContain("enc.patch.w");
    expect(m.namedParams().map(([n]) => n)).toContain("direct.tok");
    text.dispose();
    expect(() => compose(m.encoder, new Mlp({ in: 5, out: 16 }, 1), m.lm)).toThrow(/adapter input 5/);
  });

  it("trains only the parts not frozen: frozen weights keep their bits, the adapter's change", async () => {
    const m = build();
    m.setFrozen({ encoder: true, lm: true });
    expect(m.trainableVariables()).toEqual(m.adapter.params.variables());
    const frozenBefore = [...m.encoder.params.variables(), ...m.lm.params.variables()].map(bits);
    const adapterBefore = m.adapter.params.variables().map(bits);
    const opt = new AdamW(m.trainableVariables(), { schedule: 1e-2, totalSteps: 3, decay: m.decayedVariables() });
    const img = T(rand([2, 8, 8], 3));
    const text = ids([[1, 40, 41, 42], [1, 50, 51, 52]]);
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) {
      losses.push((await opt.minimize(() => crossEntropy(tf.slice(m.logits(img, text), [0, 0, 0], [2, 3, small.vocab]), tf.slice(text, [0, 1], [2, 3])))).loss);
    }
    [...m.encoder.params.variables(), ...m.lm.params.variables()].forEach((v, i) => expect(bits(v)).toEqual(frozenBefore[i]));
    m.adapter.params.variables().forEach((v, i) => expect(relDiff(bits(v), adapterBefore[i]!, 1e-3)).toBeGreaterThan(1e-4));
    expect(losses[2]).toBeLessThan(losses[0]!);
    // a swap keeps the trained adapter and replaces the LM
    const other = keep(new DecoderLm(small, 9));
    const swapped = m.with("lm", other, "reasoner");
    expect(swapped.adapter).toBe(m.adapter);
    expect(swapped.namedParams().some(([n]) => n.startsWith("reasoner."))).toBe(true);
    opt.dispose();
    tf.dispose([img, text]);
  });

  it("computes the same loss and gradients on wasm as on cpu", async () => {
    const run = async (backend: "cpu" | "wasm"): Promise<Float32Array[]> => {
      await use(backend);
      const m = build();
      const img = T(rand([2, 8, 8], 3));
      const text = ids([[1, 40, 41, 42], [1, 50, 51, 52]]);
      // every weight on the path from image and text to the LM's logits (the encoder's class head is not)
      const vars = m.namedParams().filter(([n]) => !n.startsWith("enc.head.")).map(([, v]) => v);
      const { value, grads } = tf.variableGrads(() => crossEntropy(m.logits(img, text), text), vars);
      const out = [bits(value), ...vars.map((v) => bits(grads[v.name]!))];
      tf.dispose([value, img, text, ...Object.values(grads)]);
      return out;
    };
    const cpu = await run("cpu");
    const wasm = await run("wasm");
    expect(wasm.length).toBe(cpu.length);
    // relative to each tensor's scale, with the scale of all gradients as the floor
    const scale = Math.max(...cpu.slice(1).map((g) => g.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));
    wasm.forEach((w, i) => expect(relDiff(w, cpu[i]!, 1e-3 * scale), `tensor ${i}`).toBeLessThan(2e-5));
    await use("cpu");
  });
});

describe("the character tokenizer", () => {
  it("round-trips text and marks padding", () => {
    const s = "2+3=\\boxed{5}\n<think>ok</think>";
    const enc = tokenizer.encode(s, { bos: true, eos: true });
    expect(enc[0]).toBe(tokenizer.BOS);
    expect(enc.at(-1)).toBe(tokenizer.EOS);
    expect(tokenizer.decode(enc)).toBe(s);
    expect(tokenizer.decode(tokenizer.encode("é"))).toBe("?");
    expect(Math.max(...enc)).toBeLessThan(tokenizer.VOCAB_SIZE);
    const { ids: b, mask } = tokenizer.padBatch([[5, 6, 7], [8]], 2);
    expect(Array.from(b)).toEqual([5, 6, 8, 0]);
    expect(Array.from(mask)).toEqual([1, 1, 1, 0]);
  });
});
