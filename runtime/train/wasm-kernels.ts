import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { hasTag, tagKernel } from "./kernel-io.js";

/**
 * Two fixes to the TensorFlow.js 4.22 wasm backend, registered over its own kernels.
 *
 * BatchMatMul: the backend calls XNNPACK only when neither operand is transposed and the batch is 1;
 * every other case runs a scalar triple loop. Every matMul gradient passes a transpose flag, so the
 * whole backward pass ran in that loop (116 ms per step of a 256→1024→512 MLP at batch 64, about
 * 13 ms with this fix; shared/research/feasibility-tfjs.md). The fix transposes the operands with
 * the wasm Transpose kernel and calls the original kernel with both flags off.
 *
 * UnsortedSegmentSum: the backend has none, and it is the gradient of gather, so a trainable
 * embedding cannot train on wasm without it (tfjs#8082).
 */

type Inputs = Record<string, tf.TensorInfo>;
type Attrs = Record<string, unknown>;

const OURS = Symbol.for("stagecraft.wasm-kernel");
let originalMatMul: tf.KernelConfig | undefined;
/** Whether the fixes are registered: the BLAS kernel (blas-matmul.ts) may sit on top of ours. */
let fixesOn = false;

function input(inputs: Inputs, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`kernel input '${name}' missing`);
  return t;
}

const isOurs = (k: tf.KernelConfig | undefined): boolean => hasTag(k, OURS);
const mark = <F extends object>(f: F): F => tagKernel(f, OURS);

function swapLastTwo(x: tf.TensorInfo, backend: BackendWasm): tf.TensorInfo {
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!transpose) throw new Error("the wasm backend has no Transpose kernel");
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

function batchMatMul(orig: tf.KernelConfig): tf.KernelFunc {
  const plain = (a: tf.TensorInfo, b: tf.TensorInfo, backend: BackendWasm, attrs: Attrs): tf.TensorInfo =>
    orig.kernelFunc({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as tf.TensorInfo;
  const free = (backend: BackendWasm, ...ts: tf.TensorInfo[]): void => ts.forEach((t) => backend.disposeData(t.dataId));

  return mark(({ inputs, backend: kb, attrs }: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }) => {
    const backend = kb as BackendWasm;
    const at = (attrs ?? {}) as Attrs;
    const a = input(inputs as Inputs, "a");
    const b = input(inputs as Inputs, "b");
    const transposeA = at["transposeA"] === true;
    const transposeB = at["transposeB"] === true;
    if (!transposeA && !transposeB) return plain(a, b, backend, at);
    if (!transposeA && transposeB && a.shape.length === 2 && b.shape.length === 2) {
      // a·bᵀ with a large b (dy·Wᵀ in backprop): (b·aᵀ)ᵀ transposes the two small operands instead of the weights.
      const [m, k] = a.shape as [number, number];
      const n = b.shape[0]!;
      if (m * k + m * n < k * n) {
        const aT = swapLastTwo(a, backend);
        const cT = plain(b, aT, backend, at);
        const c = swapLastTwo(cT, backend);
        free(backend, aT, cT);
        return c;
      }
    }
    const aT = transposeA ? swapLastTwo(a, backend) : a;
    const bT = transposeB ? swapLastTwo(b, backend) : b;
    const out = plain(aT, bT, backend, at);
    if (transposeA) free(backend, aT);
    if (transposeB) free(backend, bT);
    return out;
  });
}

const segmentSum: tf.KernelFunc = mark(({ inputs, backend: kb, attrs }: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }) => {
  const backend = kb as BackendWasm;
  const x = input(inputs as Inputs, "x");
  const ids = input(inputs as Inputs, "segmentIds");
  const numSegments = Number((attrs ?? {})["numSegments"]);
  const xv = backend.typedArrayFromHeap(x);
  const iv = backend.typedArrayFromHeap(ids);
  const inner = iv.length === 0 ? 0 : xv.length / iv.length;
  const out = x.dtype === "int32" ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < iv.length; i++) {
    const s = iv[i]!;
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids
    const o = s * inner;
    const xi = i * inner;
    for (let j = 0; j < inner; j++) out[o + j]! += xv[xi + j]!;
  }
  return backend.makeOutput([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype, undefined, out);
});

/** Registers both fixes for the wasm backend; safe to call more than once. */
export function installWasmKernels(): void {
  const current = tf.getKernel("BatchMatMul", "wasm");
  if (!current) throw new Error("the wasm backend is not loaded: import @tensorflow/tfjs-backend-wasm first");
  if (!isOurs(current)) {
    originalMatMul = current;
    tf.unregisterKernel("BatchMatMul", "wasm");
    // Keep the original setupFunc: it binds the wasm function when the backend initialises.
    tf.registerKernel({ kernelName: "BatchMatMul", backendName: "wasm", setupFunc: current.setupFunc, kernelFunc: batchMatMul(current) });
  }
  const seg = tf.getKernel("UnsortedSegmentSum", "wasm");
  if (!seg) tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: segmentSum });
  fixesOn = true;
}

/** Restores the stock kernels (for side-by-side measurements). */
export function uninstallWasmKernels(): void {
  if (isOurs(tf.getKernel("BatchMatMul", "wasm")) && originalMatMul) {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel(originalMatMul);
  }
  if (isOurs(tf.getKernel("UnsortedSegmentSum", "wasm"))) tf.unregisterKernel("UnsortedSegmentSum", "wasm");
  fixesOn = false;
}

/** Whether the fixes are registered now. */
export function wasmKernelsInstalled(): boolean {
  return fixesOn && isOurs(tf.getKernel("UnsortedSegmentSum", "wasm"));
}
