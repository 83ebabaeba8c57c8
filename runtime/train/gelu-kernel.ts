import * as tf from "@tensorflow/tfjs-core";
import { JS_KERNEL_BACKENDS, floatInputs, registerJsKernel, runFloat, type FloatKernel, type KernelArgs } from "./kernel-io.js";

/**
 * Exact GELU, 0.5·x·(1 + erf(x/√2)), and its derivative as two kernels (wasm and cpu). Composed of
 * ops it is five elementwise kernels forward and about ten backward, and wasm's erf and exp are
 * scalar loops; a model's MLP spent more time there than in its matrix products. On wasm both run
 * as SIMD code (simd/gelu.wat); on cpu as the JavaScript below. erf is the Abramowitz–Stegun 7.1.26
 * polynomial (|error| < 1.5e-7), the one TensorFlow.js's own erf uses.
 */

export const GELU_KERNEL = "StagecraftGelu";
export const GELU_GRAD_KERNEL = "StagecraftGeluGrad";

const P = 0.3275911;
const A1 = 0.254829592;
const A2 = -0.284496736;
const A3 = 1.421413741;
const A4 = -1.453152027;
const A5 = 1.061405429;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function erf(z: number): number {
  const a = Math.abs(z);
  const t = 1 / (1 + P * a);
  const y = 1 - ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t * Math.exp(-a * a);
  return z < 0 ? -y : y;
}

const FORWARD: FloatKernel = {
  simd: { module: "gelu", fn: "gelu" },
  js: ([x], [y]) => {
    for (let i = 0; i < x!.length; i++) {
      const v = x![i]!;
      y![i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
    }
  },
};

/** dy · gelu′(x), gelu′(x) = Φ(x) + x·φ(x). */
const BACKWARD: FloatKernel = {
  simd: { module: "gelu", fn: "gelu_grad" },
  js: ([dy, x], [g]) => {
    for (let i = 0; i < x!.length; i++) {
      const v = x![i]!;
      g![i] = dy![i]! * (0.5 * (1 + erf(v * Math.SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    }
  },
};

function forward(args: KernelArgs): tf.TensorInfo {
  const [x] = floatInputs(GELU_KERNEL, args, ["x"]) as [tf.TensorInfo];
  return runFloat(args, FORWARD, [x], [[...x.shape]])[0]!;
}

function backward(args: KernelArgs): tf.TensorInfo {
  const [dy, x] = floatInputs(GELU_GRAD_KERNEL, args, ["dy", "x"]) as [tf.TensorInfo, tf.TensorInfo];
  return runFloat(args, BACKWARD, [dy, x], [[...x.shape]])[0]!;
}

let registered = false;

function register(): void {
  if (registered) return;
  registerJsKernel(GELU_KERNEL, forward);
  registerJsKernel(GELU_GRAD_KERNEL, backward);
  tf.registerGradient({
    kernelName: GELU_KERNEL,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => ({ x: () => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: saved[0]! }) as tf.Tensor }),
  });
  registered = true;
}

/** GELU as one kernel where the backend has it (wasm, cpu, float32); undefined elsewhere. */
export function fusedGelu(x: tf.Tensor): tf.Tensor | undefined {
  if (x.dtype !== "float32" || !JS_KERNEL_BACKENDS.some((b) => b === tf.getBackend())) return undefined;
  register();
  return tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;
}
