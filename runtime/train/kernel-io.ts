import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { SIMD_MODULES } from "./simd/modules.js";
import { simdFunction, wasmHeap } from "./simd/instance.js";

/**
 * Kernels of our own for the wasm and cpu backends. On wasm one runs as SIMD code (simd/*.wat)
 * straight on the backend's heap; on cpu as JavaScript over the backend's own arrays. Either way the
 * inputs are read where the backend keeps them and the outputs written once, with no copies.
 */

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** Backends these kernels run on. */
export const JS_KERNEL_BACKENDS = ["wasm", "cpu"] as const;

interface CpuBackend {
  readSync(id: tf.DataId): tf.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo;
}

/** The named float32 inputs of a kernel call, in order. */
export function floatInputs(kernel: string, args: KernelArgs, names: readonly string[]): tf.TensorInfo[] {
  return names.map((n) => {
    const t = args.inputs[n];
    if (!t) throw new Error(`${kernel} needs input '${n}'`);
    if (t.dtype !== "float32") throw new Error(`${kernel} works on float32, not ${t.dtype} ('${n}')`);
    return t;
  });
}

export interface FloatKernel {
  /** The SIMD module and function for wasm; called with the byte offsets of the inputs, then of the outputs, then the element count of the first input, then `scalars`. */
  readonly simd: { readonly module: keyof typeof SIMD_MODULES; readonly fn: string };
  /** The same computation for cpu, over the inputs' and the new outputs' arrays. */
  readonly js: (ins: Float32Array[], outs: Float32Array[]) => void;
}

/** Runs `k` on the backend of this call, with new float32 outputs of `shapes`, and returns them. */
export function runFloat(args: KernelArgs, k: FloatKernel, inputs: readonly tf.TensorInfo[], shapes: readonly number[][], scalars: readonly number[] = []): tf.TensorInfo[] {
  const heap = wasmHeap(args.backend);
  if (heap) {
    const wasm = args.backend as BackendWasm;
    const outs = shapes.map((s) => wasm.makeOutput(s, "float32"));
    // Offsets once every output is allocated: allocating can grow (and so move) the heap's buffer.
    const at = (t: tf.TensorInfo): number => wasm.typedArrayFromHeap(t).byteOffset;
    const n = inputs[0] ? tf.util.sizeFromShape(inputs[0].shape) : 0;
    simdFunction(k.simd.module, k.simd.fn, heap)(...inputs.map(at), ...outs.map(at), n, ...scalars);
    return outs;
  }
  const cpu = args.backend as CpuBackend;
  const outs = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
  k.js(
    inputs.map((t) => cpu.readSync(t.dataId) as Float32Array),
    outs,
  );
  return outs.map((o, i) => cpu.makeTensorInfo([...shapes[i]!], "float32", o));
}

/** Tags a kernel function of ours with `tag`, so it can be told apart from the one it replaced in TensorFlow.js's registry. */
export function tagKernel<F extends object>(f: F, tag: symbol): F {
  Object.defineProperty(f, tag, { value: true });
  return f;
}

/** Whether a registered kernel carries `tag`. */
export function hasTag(k: tf.KernelConfig | undefined, tag: symbol): boolean {
  return !!k && (k.kernelFunc as unknown as Record<symbol, boolean>)[tag] === true;
}

/** Registers `kernel` for the wasm and cpu backends, where not yet registered. */
export function registerJsKernel(name: string, kernel: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]): void {
  for (const backendName of JS_KERNEL_BACKENDS) {
    if (!tf.getKernel(name, backendName)) tf.registerKernel({ kernelName: name, backendName, kernelFunc: kernel as unknown as tf.KernelFunc });
  }
}
