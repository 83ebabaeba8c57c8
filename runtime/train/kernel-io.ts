import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Kernels of our own written in JavaScript over float32 arrays, for the wasm and cpu backends: the
 * inputs are read where the backend keeps them (views of the wasm heap; the cpu backend's arrays)
 * and the outputs written once, with no copies in between.
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

/**
 * Runs `body` over float32 views of `inputs` and of `shapes.length` new outputs of those shapes,
 * on the backend of this call (wasm or cpu), and returns the outputs.
 */
export function runFloat(args: KernelArgs, inputs: readonly tf.TensorInfo[], shapes: readonly number[][], body: (ins: Float32Array[], outs: Float32Array[]) => void): tf.TensorInfo[] {
  const b = args.backend as Partial<BackendWasm> & Partial<CpuBackend>;
  if (typeof b.typedArrayFromHeap === "function" && typeof b.makeOutput === "function") {
    const wasm = b as BackendWasm;
    const outs = shapes.map((s) => wasm.makeOutput(s, "float32"));
    // Views after every allocation: allocating can grow (and so replace) the wasm heap.
    const view = (t: tf.TensorInfo): Float32Array => wasm.typedArrayFromHeap(t) as Float32Array;
    body(inputs.map(view), outs.map(view));
    return outs;
  }
  const cpu = b as CpuBackend;
  const outs = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
  body(
    inputs.map((t) => cpu.readSync(t.dataId) as Float32Array),
    outs,
  );
  return outs.map((o, i) => cpu.makeTensorInfo([...shapes[i]!], "float32", o));
}

/** Registers `kernel` for the wasm and cpu backends, where not yet registered. */
export function registerJsKernel(name: string, kernel: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[], backends: readonly string[] = JS_KERNEL_BACKENDS): void {
  for (const backendName of backends) {
    if (!tf.getKernel(name, backendName)) tf.registerKernel({ kernelName: name, backendName, kernelFunc: kernel as unknown as tf.KernelFunc });
  }
}
