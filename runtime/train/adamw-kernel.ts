import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { ADAMW_WASM_BASE64 } from "./adamw-wasm.js";

/**
 * One AdamW update of one variable as a single kernel (wasm and cpu): the weights, both moments and
 * the gradient are read once and the three results written once. Composed from TensorFlow.js ops
 * the same update is about a dozen elementwise kernels, each a full pass over memory, and on wasm
 * that cost more than the matrix products of the step. The arithmetic is PyTorch's (optim.ts) in
 * float32. On wasm it runs as SIMD code (adamw.wat) over the backend's own memory; on cpu the same
 * operations in the same order, each rounded to float32, so both give the same bits.
 */

export const ADAMW_KERNEL = "StagecraftAdamW";

export interface AdamWAttrs {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Gradient scale from norm clipping (1 = none). */
  readonly clip: number;
  /** w ← w·decay before the update: 1 − lr·λ, or 1 without weight decay. */
  readonly decay: number;
  /** lr / (1 − β₁ᵗ). */
  readonly stepSize: number;
  /** √(1 − β₂ᵗ). */
  readonly bc2Sqrt: number;
}

type Arrays = { w: Float32Array; m: Float32Array; v: Float32Array; g: Float32Array; w1: Float32Array; m1: Float32Array; v1: Float32Array };

const f32 = Math.fround;

/** The .wat's arithmetic in JavaScript: every operation rounded to float32, so the bits match. */
function update(x: Arrays, a: AdamWAttrs): void {
  const { w, m, v, g, w1, m1, v1 } = x;
  const [b1, b2, c1, c2, eps, clip, decay, step, bc2] = [a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.eps, a.clip, a.decay, a.stepSize, a.bc2Sqrt].map(f32) as number[] as [number, number, number, number, number, number, number, number, number];
  for (let i = 0; i < w.length; i++) {
    const gi = f32(g[i]! * clip);
    const mi = f32(f32(b1 * m[i]!) + f32(c1 * gi));
    const vi = f32(f32(b2 * v[i]!) + f32(f32(c2 * gi) * gi));
    m1[i] = mi;
    v1[i] = vi;
    w1[i] = f32(w[i]! * decay) - f32(step * f32(mi / f32(f32(f32(Math.sqrt(vi)) / bc2) + eps)));
  }
}

type AdamwExport = (...args: number[]) => void;
/** A WebAssembly.Memory (the project's TypeScript lib has no WebAssembly types). */
type WasmMemory = object;
const WA = (globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: Record<string, unknown> } };
}).WebAssembly;

/** The compiled module, instantiated once per wasm heap (a backend re-created gets a new one). */
const instances = new WeakMap<WasmMemory, AdamwExport>();
let compiled: object | undefined;

function wasmAdamw(memory: WasmMemory): AdamwExport {
  let fn = instances.get(memory);
  if (!fn) {
    compiled ??= new WA.Module(Buffer.from(ADAMW_WASM_BASE64, "base64"));
    fn = new WA.Instance(compiled, { env: { memory } }).exports["adamw"] as AdamwExport;
    instances.set(memory, fn);
  }
  return fn;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

function parts(args: KernelArgs): { readonly w: tf.TensorInfo; readonly m: tf.TensorInfo; readonly v: tf.TensorInfo; readonly g: tf.TensorInfo; readonly attrs: AdamWAttrs } {
  const { w, m, v, g } = args.inputs;
  if (!w || !m || !v || !g) throw new Error(`${ADAMW_KERNEL} needs inputs w, m, v and g`);
  for (const t of [w, m, v, g]) if (t.dtype !== "float32") throw new Error(`${ADAMW_KERNEL} works on float32, not ${t.dtype}`);
  return { w, m, v, g, attrs: args.attrs as unknown as AdamWAttrs };
}

function wasmKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as BackendWasm & { wasm: { asm: { memory: WasmMemory } } };
  const { w, m, v, g, attrs: a } = parts(args);
  const outs = [w, m, v].map((t) => backend.makeOutput([...t.shape], "float32"));
  const at = (t: tf.TensorInfo): number => backend.typedArrayFromHeap(t).byteOffset;
  const n = tf.util.sizeFromShape(w.shape);
  const adamw = wasmAdamw(backend.wasm.asm.memory);
  adamw(at(w), at(m), at(v), at(g), at(outs[0]!), at(outs[1]!), at(outs[2]!), n, a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.eps, a.clip, a.decay, a.stepSize, a.bc2Sqrt);
  return outs;
}

interface CpuBackend {
  readSync(id: tf.DataId): tf.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo;
}

function cpuKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as CpuBackend;
  const { w, m, v, g, attrs } = parts(args);
  const read = (t: tf.TensorInfo): Float32Array => backend.readSync(t.dataId) as Float32Array;
  const [w1, m1, v1] = [w, m, v].map((t) => new Float32Array(tf.util.sizeFromShape(t.shape))) as [Float32Array, Float32Array, Float32Array];
  update({ w: read(w), m: read(m), v: read(v), g: read(g), w1, m1, v1 }, attrs);
  return [backend.makeTensorInfo([...w.shape], "float32", w1), backend.makeTensorInfo([...m.shape], "float32", m1), backend.makeTensorInfo([...v.shape], "float32", v1)];
}

const KERNELS: Readonly<Record<string, (args: KernelArgs) => tf.TensorInfo[]>> = { wasm: wasmKernel, cpu: cpuKernel };

/** Whether the active backend has the fused update (registering it there on first use). */
export function fusedAdamW(): boolean {
  const name = tf.getBackend();
  const kernel = KERNELS[name];
  if (!kernel) return false;
  if (!tf.getKernel(ADAMW_KERNEL, name)) tf.registerKernel({ kernelName: ADAMW_KERNEL, backendName: name, kernelFunc: kernel as unknown as tf.KernelFunc });
  return true;
}

/** w, m and v after one step; the caller assigns them. */
export function adamWStep(w: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, attrs: AdamWAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(ADAMW_KERNEL, { w, m, v, g }, attrs as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
