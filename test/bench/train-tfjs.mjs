// One configuration of the training-step benchmark, in its own process (a backend and its kernels
// are chosen once per process): `node --import tsx test/bench/train-tfjs.mjs MODE`, MODE one of
// wasm (matrix products on the machine's BLAS when one loads), wasm-xnnpack (the kernel fixes, no
// BLAS), wasm-stock (TensorFlow.js as shipped) or cpu.
// Prints one JSON line. Run through test/bench/train.mjs.
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../runtime/train/backend.ts";
import { AdamW } from "../../runtime/train/optim.ts";
import { Mlp } from "../../runtime/train/models/mlp.ts";

const mode = process.argv[2] ?? "wasm";
const [B, I, H, O] = [64, 256, 1024, 512];

const started = await initBackend(mode === "cpu" ? "cpu" : "wasm", { wasmKernelFixes: mode !== "wasm-stock", blas: mode === "wasm" });
if (!started.ok) {
  console.log(JSON.stringify({ mode, error: started.error }));
  process.exit(1);
}

const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const mlp = new Mlp({ in: I, out: O, hidden: H, layers: 2 }, 1);
const opt = new AdamW(mlp.params.variables(), { schedule: 1e-3, totalSteps: 1e9, weightDecay: 0.01, measureGradNorm: false });
const x = tf.randomNormal([B, I], 0, 1, "float32", 1);
const y = tf.randomNormal([B, O], 0, 1, "float32", 2);
const step = async () => (await opt.minimize(() => tf.mean(tf.squaredDifference(mlp.apply(x), y)))).loss;

const slow = mode === "wasm-stock" || mode === "cpu";
const reps = slow ? 3 : 20;
const rounds = slow ? 3 : 5;
let first = await step();
for (let i = 0; i < (slow ? 1 : 5); i++) await step();
const tensors = tf.memory().numTensors;
const perStep = [];
let last = first;
for (let r = 0; r < rounds; r++) {
  const t0 = now();
  for (let i = 0; i < reps; i++) last = await step();
  perStep.push((now() - t0) / reps);
}
const ms = median(perStep);
const params = I * H + H + H * O + O;
console.log(
  JSON.stringify({
    mode,
    backend: started.value.name,
    wasm: started.value.wasm ?? null,
    ms_per_step: +ms.toFixed(3),
    steps_per_s: +(1000 / ms).toFixed(1),
    gflops: +((6 * params * B) / ms / 1e6).toFixed(1),
    rounds_ms: perStep.map((v) => +v.toFixed(2)),
    loss_first: +first.toFixed(4),
    loss_last: +last.toFixed(4),
    tensors_leaked: tf.memory().numTensors - tensors,
  }),
);
