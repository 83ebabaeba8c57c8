import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core's Node bundle has no gradient functions (they are bundler-only ES modules); the union
// package's bundle registers all of them, with the cpu backend. Without it every tf.grads fails.
import "@tensorflow/tfjs";
import { describeAdapter, installNavigatorGpu, pickBackend, usableBackends, type BackendName } from "../backend.js";
import { loadBlas } from "./blas.js";
import { blasMatMulActive, installBlasMatMul, uninstallBlasMatMul } from "./blas-matmul.js";
import { installWasmKernels, uninstallWasmKernels, wasmKernelsInstalled } from "./wasm-kernels.js";

/**
 * Loads the TensorFlow.js backend a training stage runs on. Package detection and the order
 * (tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu) belong to runtime/backend.ts; this module imports
 * the chosen package, switches TensorFlow.js to it and checks that the switch really happened:
 * `tf.setBackend` falls back to another backend silently when one fails to initialise, and
 * numerics differ between backends, so every artifact must name the one that actually ran.
 */

export type TrainBackend = BackendName;

export interface BackendInfo {
  /** stagecraft's name for the backend (recorded in artifacts). */
  readonly name: TrainBackend;
  /** TensorFlow.js's own name for it (`tf.getBackend()`). */
  readonly tfName: string;
  readonly tfjsVersion: string;
  /**
   * wasm only: SIMD binary in use, XNNPACK threads, whether the kernel fixes are registered, and what
   * computes matrix products: the machine's BLAS ("OpenBLAS 0.3.21 (libopenblas.so.0, 2 threads)")
   * or "XNNPACK" with the reason no BLAS is used.
   */
  readonly wasm?: { readonly simd: boolean; readonly threads: number; readonly kernelFixes: boolean; readonly matmul: string };
  /** webgpu only: the adapter it runs on. */
  readonly adapter?: string;
  /** Backends tried first that could not start (auto mode only), with why. */
  readonly skipped: readonly string[];
}

export type BackendResult = { readonly ok: true; readonly value: BackendInfo } | { readonly ok: false; readonly error: string };

export interface BackendOptions {
  /** wasm: register the BatchMatMul and UnsortedSegmentSum fixes (default true; false = stock tfjs, and no BLAS). */
  readonly wasmKernelFixes?: boolean;
  /** wasm: matrix products on the machine's BLAS when one loads (default true; see blas.ts for STAGECRAFT_BLAS). */
  readonly blas?: boolean;
}

const TF_NAMES: Readonly<Record<TrainBackend, string>> = {
  "tfjs-node-gpu": "tensorflow",
  "tfjs-node": "tensorflow",
  webgpu: "webgpu",
  wasm: "wasm",
  cpu: "cpu",
};

const require = createRequire(import.meta.url);


/** A module whose name TypeScript must not resolve: optional packages may be absent. */
async function importOptional(name: string): Promise<Record<string, unknown>> {
  return (await import(name)) as Record<string, unknown>;
}

async function loadWasm(opts: BackendOptions): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  // Point at the binaries inside the installed package: nothing is fetched, whatever the bundle guesses.
  const dist = path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep;
  wasm.setWasmPaths(dist);
  // One thread on purpose: 4.22 disables wasm threads under Node anyway (tfjs#3830), and the known
  // workaround patches the bundle's internals.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  wasm.setThreadsCount(1);
  uninstallBlasMatMul();
  const fixes = opts.wasmKernelFixes ?? true;
  if (fixes) installWasmKernels();
  else uninstallWasmKernels();
  blasSkipped = fixes ? "turned off" : "stock kernels asked for";
  if (!fixes || opts.blas === false) return;
  const blas = await loadBlas();
  if (!blas.ok) throw new Error(blas.error);
  if (blas.value) installBlasMatMul(blas.value);
  else blasSkipped = blas.why ?? "none found";
}

/** Why the wasm matrix products stay on XNNPACK, when they do. */
let blasSkipped = "";

async function loadWebgpu(): Promise<void> {
  // Node 20 has no navigator; tfjs-backend-webgpu reads navigator.gpu when it is imported.
  await installNavigatorGpu();
  await importOptional("@tensorflow/tfjs-backend-webgpu");
}

async function load(name: TrainBackend, opts: BackendOptions): Promise<void> {
  switch (name) {
    case "tfjs-node-gpu":
    case "tfjs-node":
      await importOptional(`@tensorflow/${name}`);
      return;
    case "webgpu":
      return loadWebgpu();
    case "wasm":
      return loadWasm(opts);
    case "cpu":
      await import("@tensorflow/tfjs-backend-cpu");
      return;
  }
}

async function wasmInfo(): Promise<NonNullable<BackendInfo["wasm"]>> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const blas = blasMatMulActive();
  return {
    simd: (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true,
    threads: wasm.getThreadsCount(),
    kernelFixes: wasmKernelsInstalled(),
    matmul: blas ? blas.description : `XNNPACK (no BLAS: ${blasSkipped})`,
  };
}

/** Why TensorFlow.js is not running on `tfName`, or undefined when it is. */
export function checkActive(tfName: string): string | undefined {
  const actual = tf.getBackend();
  return actual === tfName ? undefined : `TensorFlow.js is running on '${actual ?? "none"}', not '${tfName}'`;
}

async function start(name: TrainBackend, opts: BackendOptions): Promise<BackendResult> {
  const tfName = TF_NAMES[name];
  try {
    await load(name, opts);
    const ok = await tf.setBackend(tfName);
    await tf.ready();
    if (!ok) return { ok: false, error: `backend '${name}' is installed but failed to initialise (TensorFlow.js stays on '${tf.getBackend()}')` };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return { ok: false, error: `backend '${name}' failed to load: ${msg}` };
  }
  const wrong = checkActive(tfName);
  if (wrong) return { ok: false, error: `backend '${name}': ${wrong}` };
  // The cpu backend prints an advert for tfjs-node on its first write in Node; the run's log is ours.
  if (name === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const wasm = name === "wasm" ? await wasmInfo() : undefined;
  // The adapter TensorFlow.js runs on, asked in this process (the driver is loaded already).
  const adapter = name === "webgpu" ? describeAdapter((await (await installNavigatorGpu()).requestAdapter())?.info ?? {}) : undefined;
  return { ok: true, value: { name, tfName, tfjsVersion: tf.version_core, ...(wasm ? { wasm } : {}), ...(adapter ? { adapter } : {}), skipped: [] } };
}

/**
 * Switches TensorFlow.js to `requested`, or to the best installed backend. A requested backend
 * that is missing or does not start is an error naming what to install; in auto mode a backend
 * that does not start (webgpu without a usable GPU driver, say) is skipped for the next one.
 */
export async function initBackend(requested?: TrainBackend | "auto", opts: BackendOptions = {}): Promise<BackendResult> {
  if (requested && requested !== "auto") {
    const picked = pickBackend(requested);
    if (!picked.ok) return picked;
    return start(requested, opts);
  }
  const { names, skipped } = await usableBackends();
  for (const name of names) {
    const r = await start(name, opts);
    if (r.ok) return { ok: true, value: { ...r.value, skipped } };
    skipped.push(r.error);
  }
  return { ok: false, error: `no TensorFlow.js backend could start: ${skipped.join("; ") || "none installed (npm install @tensorflow/tfjs-core)"}` };
}
