import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { installWasmKernels, uninstallWasmKernels, wasmKernelsInstalled } from "../../../runtime/train/wasm-kernels.js";
import { crossEntropy, gelu, layerNorm } from "../../../runtime/train/models/index.js";
import { causalMask } from "../../../runtime/train/models/decoder.js";
import { BLAS_REQUIRED, T, rand, relDiff, use, useWasm, valueAndGrads, type Arr } from "./helpers.js";

// Every op the built-in models use, as small differentiable functions of their arguments. Each is
// run on cpu and on wasm from the same inputs, with matrix products on XNNPACK (the kernel fixes) and
// on the machine's BLAS where one loads; the results and gradients must agree to about 1e-5 of their
// scale, and the cpu gradients must agree with finite differences.
const mix = (y: tf.Tensor): tf.Tensor => tf.mul(y, T(rand(y.shape, 99)));
const ids = [3, 0, 7, 7, 1, 9, 2, 5];

interface Case {
  readonly args: Arr[];
  readonly f: (...xs: tf.Tensor[]) => tf.Tensor;
}
const r = (shape: number[], seed: number): Arr => rand(shape, seed);
const CASES: Record<string, Case> = {
  "matMul": { args: [r([4, 8], 1), r([8, 5], 2)], f: (a, b) => mix(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)) },
  "matMul transposeA": { args: [r([8, 4], 1), r([8, 5], 2)], f: (a, b) => mix(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false)) },
  "matMul transposeB": { args: [r([4, 8], 1), r([5, 8], 2)], f: (a, b) => mix(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true)) },
  "matMul transposeB, large b": { args: [r([2, 8], 1), r([32, 8], 2)], f: (a, b) => mix(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true)) },
  "matMul transposeA+B": { args: [r([8, 4], 1), r([5, 8], 2)], f: (a, b) => mix(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true)) },
  "batched matMul": { args: [r([3, 4, 8], 1), r([3, 8, 5], 2)], f: (a, b) => mix(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D)) },
  "batched matMul transposeB": { args: [r([3, 4, 8], 1), r([3, 6, 8], 2)], f: (a, b) => mix(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true)) },
  "batched matMul transposeA+B": { args: [r([2, 3, 8, 4], 1), r([2, 3, 6, 8], 2)], f: (a, b) => mix(tf.matMul(a as tf.Tensor4D, b as tf.Tensor4D, true, true)) },
  "attention scores [b,h,s,d]·[b,h,s,d]ᵀ": { args: [r([2, 2, 5, 4], 1), r([2, 2, 5, 4], 2)], f: (q, k) => mix(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true)) },
  "patchify reshape+transpose": { args: [r([2, 4, 4, 1], 3)], f: (x) => mix(tf.reshape(tf.transpose(tf.reshape(x, [2, 2, 2, 2, 2, 1]), [0, 1, 3, 2, 4, 5]), [2, 4, 4])) },
  "head split transpose": { args: [r([2, 3, 2, 4], 3)], f: (x) => mix(tf.transpose(x, [0, 2, 1, 3])) },
  "gelu (erf)": { args: [r([6, 5], 4)], f: (x) => mix(gelu(tf.mul(x, 3))) },
  "layerNorm": { args: [r([4, 6], 5), r([6], 6), r([6], 7)], f: (x, g, b) => mix(layerNorm(x, g, b)) },
  "causal softmax": { args: [r([2, 5, 5], 8)], f: (x) => mix(tf.softmax(tf.add(tf.mul(x, 4), causalMask(5)))) },
  "logSoftmax cross-entropy": { args: [r([8, 10], 9)], f: (x) => crossEntropy(tf.mul(x, 3), tf.tensor1d(ids, "int32")) },
  "masked cross-entropy": { args: [r([2, 4, 10], 9)], f: (x) => crossEntropy(tf.mul(x, 3), tf.tensor2d(ids, [2, 4], "int32"), tf.tensor2d([1, 1, 0, 1, 0, 1, 1, 1], [2, 4])) },
  "one-hot embedding": { args: [r([10, 4], 10)], f: (e) => mix(tf.matMul(tf.cast(tf.oneHot(tf.tensor1d(ids, "int32"), 10), "float32") as tf.Tensor2D, e as tf.Tensor2D)) },
  "gather (UnsortedSegmentSum)": { args: [r([10, 4], 10)], f: (e) => mix(tf.gather(e, tf.tensor1d(ids, "int32"))) },
  "concat + slice": { args: [r([2, 3, 4], 11), r([2, 5, 4], 12)], f: (a, b) => mix(tf.slice(tf.concat([a, b], 1), [0, 2, 0], [2, 4, 4])) },
  "mean, bias add": { args: [r([2, 5, 4], 13), r([4], 14)], f: (x, b) => mix(tf.add(tf.mean(x, 1), b)) },
  "square, sum, sqrt (norm)": { args: [r([5, 4], 15)], f: (x) => tf.sqrt(tf.sum(tf.square(x))) },
};

type Results = Record<string, { value: Float32Array; grads: Float32Array[] }>;
function runAll(): Results {
  return Object.fromEntries(Object.entries(CASES).map(([name, c]) => [name, valueAndGrads(c.f, c.args)]));
}

let cpu: Results;
let wasm: Results;
let wasmBlas: Results | undefined;
let blasWhy = "";
beforeAll(async () => {
  await use("cpu");
  cpu = runAll();
  const plain = await useWasm(false);
  expect(wasmKernelsInstalled()).toBe(true);
  expect(plain.wasm?.matmul).toMatch(/^XNNPACK/);
  wasm = runAll();
  const withBlas = await useWasm(true);
  blasWhy = withBlas.wasm?.matmul ?? "";
  if (!blasWhy.startsWith("XNNPACK")) wasmBlas = runAll();
});

describe.each(["XNNPACK", "BLAS"])("wasm kernels against cpu, matrix products on %s", (lib) => {
  it.for(Object.keys(CASES))("%s: value and gradients agree", (name, ctx) => {
    const results = lib === "BLAS" ? wasmBlas : wasm;
    if (!results) {
      if (BLAS_REQUIRED) throw new Error(`STAGECRAFT_TEST_BLAS=1 but no BLAS: ${blasWhy}`);
      return ctx.skip(blasWhy);
    }
    const a = results[name]!;
    const b = cpu[name]!;
    expect(relDiff(a.value, b.value)).toBeLessThan(1e-5);
    expect(a.grads.length).toBe(b.grads.length);
    a.grads.forEach((g, i) => expect(relDiff(g, b.grads[i]!), `gradient ${i}`).toBeLessThan(1e-5));
  });
});

describe("cpu gradients against finite differences", () => {
  it.each(Object.keys(CASES))("%s", async (name) => {
    await use("cpu");
    const c = CASES[name]!;
    const f = (args: Arr[]): number => tf.tidy(() => tf.sum(c.f(...args.map(T))).dataSync()[0]!);
    const eps = 1e-2;
    c.args.forEach((arg, ai) => {
      for (const j of [0, Math.floor(arg.data.length / 2), arg.data.length - 1]) {
        const at = (d: number): number => f(c.args.map((x, k) => (k === ai ? { shape: x.shape, data: x.data.map((v, i) => (i === j ? v + d : v)) } : x)));
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const analytic = cpu[name]!.grads[ai]![j]!;
        expect(Math.abs(numeric - analytic), `arg ${ai}[${j}]: ${numeric} vs ${analytic}`).toBeLessThan(5e-3 * Math.max(0.1, Math.abs(analytic)));
      }
    });
  });
});

describe("the wasm kernel fixes", () => {
  it("give the stock kernel's results for every transpose combination", async () => {
    await useWasm(false);
    const a = rand([16, 24], 1);
    const b = rand([24, 40], 2);
    const combos: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
    const run = (): Float32Array[] =>
      combos.map(([ta, tb]) =>
        tf.tidy(() => {
          const x = ta ? tf.transpose(T(a)) : T(a);
          const y = tb ? tf.transpose(T(b)) : T(b);
          return Float32Array.from(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb).dataSync());
        }),
      );
    const fixed = run();
    uninstallWasmKernels();
    const stock = run();
    installWasmKernels();
    fixed.forEach((f, i) => expect(relDiff(f, stock[i]!)).toBeLessThan(1e-6));
  });

  it("add UnsortedSegmentSum, dropping out-of-range ids and keeping int32", async () => {
    await use("wasm");
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2], "int32");
    const s = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 9], "int32"), 3);
    expect(s.dtype).toBe("int32");
    expect(Array.from(s.dataSync())).toEqual([3, 4, 0, 0, 6, 8]);
    tf.dispose([x, s]);
  });

  it("free their temporaries", async () => {
    await useWasm(false);
    const a = T(rand([64, 32], 1));
    const b = T(rand([64, 48], 2));
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    for (let i = 0; i < 5; i++) tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false).dispose();
    tf.matMul(b as tf.Tensor2D, a as tf.Tensor2D, true, false).dispose();
    expect(backend.numDataIds()).toBe(before);
    tf.dispose([a, b]);
  });
});
