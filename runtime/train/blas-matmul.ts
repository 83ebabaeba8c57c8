import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Blas } from "./blas.js";
import { hasTag, tagKernel, type KernelArgs } from "./kernel-io.js";

/**
 * The wasm backend's BatchMatMul, computed by the machine's BLAS straight on the wasm heap: the
 * operands are views of the backend's memory and sgemm writes into the output it allocated, so
 * nothing is copied, and the transpose flags go to sgemm as they are. float32 products with equal
 * (or broadcast size-1) batch dimensions take this path; anything else goes to the kernel it
 * replaced, which also reports bad shapes in TensorFlow.js's own words.
 */

const MARK = Symbol.for("stagecraft.blas-matmul");
let replaced: tf.KernelConfig | undefined;
let active: Blas | undefined;

const product = (xs: readonly number[]): number => xs.reduce((p, x) => p * x, 1);
const sameDims = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The output's batch dimensions, or undefined when the shapes need a broadcast this kernel does not do. */
function outerShape(outerA: readonly number[], outerB: readonly number[]): readonly number[] | undefined {
  const ba = product(outerA);
  const bb = product(outerB);
  if (ba > 1 && bb > 1) return sameDims(outerA, outerB) ? outerA : undefined;
  if (outerA.length !== outerB.length && Math.min(outerA.length, outerB.length) > 0) return undefined;
  if (ba > 1) return outerA;
  if (bb > 1) return outerB;
  return outerA.length >= outerB.length ? outerA : outerB;
}

function blasMatMul(blas: Blas, fallback: tf.KernelConfig): tf.KernelFunc {
  const kernel = (args: KernelArgs): tf.TensorInfo => {
    const backend = args.backend as BackendWasm;
    const a = args.inputs["a"];
    const b = args.inputs["b"];
    const transA = args.attrs?.["transposeA"] === true;
    const transB = args.attrs?.["transposeB"] === true;
    const viaFallback = (): tf.TensorInfo => fallback.kernelFunc(args) as tf.TensorInfo;
    if (!a || !b || a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return viaFallback();
    const ra = a.shape.length;
    const rb = b.shape.length;
    const [m, k] = transA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
    const [kb, n] = transB ? [b.shape[rb - 1]!, b.shape[rb - 2]!] : [b.shape[rb - 2]!, b.shape[rb - 1]!];
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const outer = outerShape(outerA, outerB);
    if (k !== kb || !outer || m * n * k === 0) return viaFallback();
    const out = backend.makeOutput([...outer, m, n], "float32");
    // Views are taken after the output is allocated: allocating can grow (and so replace) the heap.
    const av = backend.typedArrayFromHeap(a) as Float32Array;
    const bv = backend.typedArrayFromHeap(b) as Float32Array;
    const cv = backend.typedArrayFromHeap(out) as Float32Array;
    const batch = product(outer);
    const stepA = product(outerA) > 1 ? m * k : 0;
    const stepB = product(outerB) > 1 ? k * n : 0;
    for (let i = 0; i < batch; i++) {
      const ai = batch === 1 ? av : av.subarray(i * stepA, i * stepA + m * k);
      const bi = batch === 1 ? bv : bv.subarray(i * stepB, i * stepB + k * n);
      const ci = batch === 1 ? cv : cv.subarray(i * m * n, (i + 1) * m * n);
      blas.sgemm(transA, transB, m, n, k, ai, bi, ci);
    }
    return out;
  };
  return tagKernel(kernel, MARK) as unknown as tf.KernelFunc;
}

const isOurs = (k: tf.KernelConfig | undefined): boolean => hasTag(k, MARK);

/** Registers the BLAS BatchMatMul over the wasm backend's current one (install the wasm fixes first). */
export function installBlasMatMul(blas: Blas): void {
  const current = tf.getKernel("BatchMatMul", "wasm");
  if (!current) throw new Error("the wasm backend is not loaded: import @tensorflow/tfjs-backend-wasm first");
  if (isOurs(current)) {
    if (active === blas) return;
    uninstallBlasMatMul();
    return installBlasMatMul(blas);
  }
  replaced = current;
  active = blas;
  tf.unregisterKernel("BatchMatMul", "wasm");
  // The replaced kernel's setupFunc binds its wasm function when the backend initialises; it is kept for the fallback.
  tf.registerKernel({ kernelName: "BatchMatMul", backendName: "wasm", setupFunc: current.setupFunc, kernelFunc: blasMatMul(blas, current) });
}

/** Puts back the kernel the BLAS one replaced. */
export function uninstallBlasMatMul(): void {
  if (!isOurs(tf.getKernel("BatchMatMul", "wasm")) || !replaced) return;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(replaced);
  replaced = undefined;
  active = undefined;
}

/** The BLAS the wasm BatchMatMul runs on now, if any. */
export function blasMatMulActive(): Blas | undefined {
  return isOurs(tf.getKernel("BatchMatMul", "wasm")) ? active : undefined;
}
