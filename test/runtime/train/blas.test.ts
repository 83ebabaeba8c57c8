import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { loadBlas, type Blas } from "../../../runtime/train/blas.js";
import { blasMatMulActive, uninstallBlasMatMul } from "../../../runtime/train/blas-matmul.js";
import { BLAS_REQUIRED, T, rand, relDiff, use, useWasm, type Arr } from "./helpers.js";

// The machine's BLAS behind the wasm backend's BatchMatMul. CI installs OpenBLAS and sets
// STAGECRAFT_TEST_BLAS=1, so there these tests run; elsewhere they skip with the reason.
let blas: Blas | undefined;
let why = "";
beforeAll(async () => {
  const r = await loadBlas();
  if (!r.ok) throw new Error(r.error);
  blas = r.value;
  why = r.value ? "" : (r.why ?? "no BLAS");
  if (!blas && BLAS_REQUIRED) throw new Error(`STAGECRAFT_TEST_BLAS=1 but no BLAS: ${why}`);
});

/** Row-major product of a (m×k, or k×m when ta) and b (k×n, or n×k when tb), in double precision. */
function naive(ta: boolean, tb: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ta ? p * m + i : i * k + p]! * b[tb ? j * k + p : p * n + j]!;
      c[i * n + j] = s;
    }
  return c;
}

/** The product on one backend, read back. */
function product(a: Arr, b: Arr, ta = false, tb = false): Float32Array {
  return tf.tidy(() => Float32Array.from(tf.matMul(T(a), T(b), ta, tb).dataSync()));
}

describe("loadBlas", () => {
  it("uses none when turned off", async () => {
    const r = await loadBlas("off");
    expect(r).toMatchObject({ ok: true, value: undefined });
    expect(r.ok && r.why).toMatch(/turned off/);
  });

  it("names the library it could not load when one is asked for", async () => {
    const r = await loadBlas("libno-such-blas.so.9");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^STAGECRAFT_BLAS=libno-such-blas\.so\.9 could not be loaded/);
  });
});

describe("cblas_sgemm through the FFI", () => {
  it.for([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const)("transA=%s transB=%s matches a naive product", ([ta, tb], ctx) => {
    if (!blas) return ctx.skip(why);
    const [m, n, k] = [7, 5, 9];
    const a = rand([m * k], 1).data;
    const b = rand([k * n], 2).data;
    const c = new Float32Array(m * n).fill(Number.NaN); // beta = 0: whatever was there is overwritten
    blas.sgemm(ta, tb, m, n, k, a, b, c);
    expect(relDiff(c, naive(ta, tb, m, n, k, a, b))).toBeLessThan(1e-6);
  });

  it("reads and writes through views at an offset (the wasm heap)", (ctx) => {
    if (!blas) return ctx.skip(why);
    const heap = new Float32Array(64);
    heap.set([1, 2, 3, 4], 8); // a = [[1, 2], [3, 4]] at element 8
    heap.set([5, 6, 7, 8], 20); // b at element 20
    blas.sgemm(false, false, 2, 2, 2, heap.subarray(8, 12), heap.subarray(20, 24), heap.subarray(40, 44));
    expect(Array.from(heap.subarray(40, 44))).toEqual([19, 22, 43, 50]);
    expect(heap[39]).toBe(0);
    expect(heap[44]).toBe(0);
  });
});

describe("the BLAS BatchMatMul on wasm", () => {
  const cases: Record<string, [Arr, Arr, boolean, boolean]> = {
    "the adapter's shapes, 64×1024·(512×1024)ᵀ": [rand([64, 1024], 1), rand([512, 1024], 2), false, true],
    "dW = xᵀ·dy": [rand([64, 256], 3), rand([64, 1024], 4), true, false],
    "broadcast batch of b": [rand([3, 4, 8], 5), rand([1, 8, 6], 6), false, false],
    "broadcast batch of a, same rank": [rand([1, 4, 8], 11), rand([3, 8, 6], 12), false, false],
    "broadcast batch of a, rank 2 against rank 3": [rand([4, 8], 7), rand([2, 8, 6], 8), false, false],
    "batch 2×3, both transposed": [rand([2, 3, 8, 4], 9), rand([2, 3, 6, 8], 10), true, true],
  };
  let cpu: Record<string, Float32Array>;
  beforeAll(async () => {
    await use("cpu");
    cpu = Object.fromEntries(Object.entries(cases).map(([k, [a, b, ta, tb]]) => [k, product(a, b, ta, tb)]));
  });

  it.for(Object.keys(cases))("%s: agrees with cpu", async (name, ctx) => {
    if (!blas) return ctx.skip(why);
    const info = await useWasm(true);
    expect(info.wasm?.matmul).toBe(blas.description);
    expect(blasMatMulActive()).toBe(blas);
    const [a, b, ta, tb] = cases[name]!;
    expect(relDiff(product(a, b, ta, tb), cpu[name]!)).toBeLessThan(1e-5);
  });

  it("leaves int32 products and bad shapes to the kernel it replaced, which reports them", async (ctx) => {
    if (!blas) return ctx.skip(why);
    await useWasm(true);
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2], "int32");
    expect(() => tf.matMul(x, x)).toThrow(/non-float32/); // the wasm backend's own message
    expect(() => tf.matMul(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(/inner shapes/);
    x.dispose();
  });

  it("allocates only its output", async (ctx) => {
    if (!blas) return ctx.skip(why);
    await useWasm(true);
    const a = T(rand([3, 16, 8], 1));
    const b = T(rand([3, 8, 4], 2));
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    for (let i = 0; i < 5; i++) tf.matMul(a, b).dispose();
    expect(backend.numDataIds()).toBe(before);
    tf.dispose([a, b]);
  });

  it("is taken off again with blas: false", async (ctx) => {
    if (!blas) return ctx.skip(why);
    await useWasm(true);
    expect(blasMatMulActive()).toBeDefined();
    const info = await useWasm(false);
    expect(blasMatMulActive()).toBeUndefined();
    expect(info.wasm?.matmul).toBe("XNNPACK (no BLAS: turned off)");
    uninstallBlasMatMul(); // a no-op when none is registered
    expect(blasMatMulActive()).toBeUndefined();
    expect(info.wasm?.kernelFixes).toBe(true);
  });
});
