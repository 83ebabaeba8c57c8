import * as tf from "@tensorflow/tfjs-core";
import { initBackend, type BackendInfo, type TrainBackend } from "../../../runtime/train/backend.js";
import { seededRandom } from "../../../runtime/data/prng.js";

/** Switches to `name` or fails the test with the reason. */
export async function use(name: TrainBackend): Promise<void> {
  const r = await initBackend(name);
  if (!r.ok) throw new Error(r.error);
}

/** Switches to wasm with its matrix products on the machine's BLAS or on XNNPACK; returns what started. */
export async function useWasm(blas: boolean): Promise<BackendInfo> {
  const r = await initBackend("wasm", { blas });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** CI sets STAGECRAFT_TEST_BLAS=1 where a BLAS is installed, so a missing one fails there instead of skipping. */
export const BLAS_REQUIRED = process.env["STAGECRAFT_TEST_BLAS"] === "1";

export interface Arr {
  readonly shape: number[];
  readonly data: Float32Array;
}

/** Seeded uniform values in [-scale, scale). */
export function rand(shape: number[], seed: number, scale = 1): Arr {
  const u = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => (u() * 2 - 1) * scale) };
}

export const T = (a: Arr): tf.Tensor => tf.tensor(a.data, a.shape, "float32");

/** The value of f and its gradients with respect to every argument, read back as arrays. */
export function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, args: readonly Arr[]): { value: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const xs = args.map(T);
    const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(f(...ys)) as tf.Scalar);
    const value = f(...xs).dataSync() as Float32Array;
    return { value: Float32Array.from(value), grads: g(xs).map((x) => Float32Array.from(x.dataSync())) };
  });
}

/** max|a − b| / max(max|b|, floor): the error relative to the reference's scale. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / Math.max(m, floor);
}
