// Training-step benchmark: one AdamW step of an MLP adapter 256→1024→512 (GELU), batch 64, MSE,
// on TensorFlow.js (wasm as stagecraft runs it: matrix products on the machine's BLAS where one
// loads, fused AdamW; wasm with XNNPACK products; stock wasm; cpu), side by side with
// PyTorch on the CPU at 2 threads. Each configuration runs in its own process. Not part of `npm test`.
//
//   node test/bench/train.mjs            all configurations
//   node test/bench/train.mjs wasm       only stagecraft's wasm (and torch)
//
// PyTorch: Debian's python3-torch, with libopenblas0-openmp so torch does not run on the reference
// BLAS (apt-get install -y python3-torch libopenblas0-openmp). The OpenMP OpenBLAS is put first on
// LD_LIBRARY_PATH: the pthread build fights torch's OpenMP threads and its timings jump 3.5–20 ms.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const only = process.argv[2];
const modes = ["wasm", "wasm-xnnpack", "wasm-stock", "cpu"].filter((m) => !only || m === only);

function runJson(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  const line = (r.stdout ?? "").trim().split("\n").at(-1) ?? "";
  try {
    return { status: r.status, ...JSON.parse(line) };
  } catch {
    return { status: r.status, error: (r.error?.message ?? r.stderr ?? "").trim().split("\n").slice(-3).join(" | ") || "no output" };
  }
}

/** A python3 that can import torch: $PYTHON if set, else python3 on PATH, then Debian's. */
function findTorchPython() {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ["python3", "/usr/bin/python3"];
  for (const py of [...new Set(candidates)]) {
    const r = spawnSync(py, ["-c", "import torch"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** Share of CPU time other processes used over `ms` (Linux /proc/stat); undefined elsewhere. */
function busyShare(ms = 1000) {
  const sample = () => {
    try {
      const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return undefined;
    }
  };
  const a = sample();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const b = sample();
  return a && b && b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : undefined;
}

// Timings are only comparable on an idle machine: say how busy it was before starting.
const busyBefore = busyShare();
const results = {};
const py = findTorchPython();
const omp = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
const torchEnv = existsSync(omp) ? { LD_LIBRARY_PATH: [omp, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") } : {};
const runTorch = (threads) => (py ? { python: py, ...runJson(py, [path.join(here, "train_torch.py")], { ...torchEnv, TORCH_THREADS: String(threads) }) } : undefined);
// The headline pair, stagecraft's wasm and PyTorch at 2 threads, runs in alternating rounds: the
// machine's speed drifts by tens of percent over minutes, and a ratio from adjacent runs is steadier.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const pairs = [];
for (let r = 0; r < ROUNDS && modes.includes("wasm"); r++) {
  const w = runJson(process.execPath, ["--import", "tsx", path.join(here, "train-tfjs.mjs"), "wasm"]);
  const t = runTorch(2);
  pairs.push({ wasm: w, torch: t });
  console.error(`# round ${r + 1}: wasm ${w.error ?? `${w.ms_per_step} ms/step`}, torch ${t?.error ?? t?.ms_per_step ?? "absent"}`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pairRatios = pairs.filter((p) => !p.wasm.error && p.torch && !p.torch.error).map((p) => p.torch.ms_per_step / p.wasm.ms_per_step);
if (pairs.length) results["wasm"] = pairs.map((p) => p.wasm).sort((a, b) => (a.ms_per_step ?? Infinity) - (b.ms_per_step ?? Infinity))[pairs.length >> 1];
for (const m of modes.filter((x) => x !== "wasm")) {
  results[m] = runJson(process.execPath, ["--import", "tsx", path.join(here, "train-tfjs.mjs"), m]);
  console.error(`# ${m}: ${results[m].error ?? `${results[m].ms_per_step} ms/step`}`);
}

let torch;
let torch1;
if (!py) {
  torch = { error: "not installed (python3 cannot import torch: apt-get install -y python3-torch libopenblas0-openmp)" };
} else {
  const ts = pairs.map((p) => p.torch).filter((t) => t && !t.error);
  torch = ts.length ? ts.sort((a, b) => a.ms_per_step - b.ms_per_step)[ts.length >> 1] : runTorch(2);
  // One thread as well: the same thread count as tfjs-wasm's own kernels, and steadier on a busy machine.
  torch1 = runTorch(1);
}
console.error(`# torch: ${torch.error ?? `${torch.ms_per_step} ms/step`}`);

const rows = [];
for (const [m, r] of Object.entries(results)) {
  const ratio = !torch.error && !r.error ? torch.ms_per_step / r.ms_per_step : undefined;
  const label = m === "wasm" ? `tfjs wasm, products on ${r.wasm?.matmul ?? "?"}` : `tfjs ${m}`;
  rows.push({ config: label, ms: r.ms_per_step, steps: r.steps_per_s, gflops: r.gflops, ratio, error: r.error });
}
rows.push({ config: torch.error ? "torch" : `torch ${torch.torch} ${torch.threads} thr`, ms: torch.ms_per_step, steps: torch.steps_per_s, gflops: torch.gflops, ratio: torch.error ? undefined : 1, error: torch.error });
if (torch1) rows.push({ config: `torch ${torch1.torch ?? ""} 1 thr`, ms: torch1.ms_per_step, steps: torch1.steps_per_s, gflops: torch1.gflops, ratio: torch1.error || torch.error ? undefined : torch.ms_per_step / torch1.ms_per_step, error: torch1.error });

console.log("| configuration | ms/step | steps/s | GFLOP/s | × PyTorch (throughput) |");
console.log("|---|---|---|---|---|");
for (const r of rows) {
  if (r.error) console.log(`| ${r.config} | ${r.error} | | | |`);
  else console.log(`| ${r.config} | ${r.ms} | ${r.steps} | ${r.gflops} | ${r.ratio === undefined ? "n/a" : r.ratio.toFixed(3)} |`);
}
const busy = busyBefore !== undefined && busyBefore > 0.2;
const best = results["wasm"];
if (best && !best.error && !torch.error) {
  const ratio = pairRatios.length ? median(pairRatios) : torch.ms_per_step / best.ms_per_step;
  // torch's OpenMP threads spin and stall when other processes hold the cores: a busy machine
  // flatters tfjs, so no verdict is given then.
  const verdict = busy ? "not judged on a busy machine" : ratio >= 0.5 ? "met" : "not met";
  console.log(`\nbest local backend (wasm, products on ${best.wasm?.matmul}): median of ${pairRatios.length} paired rounds ${ratio.toFixed(3)}× PyTorch (rounds: ${pairRatios.map((r) => r.toFixed(2)).join(", ")}); goal 0.5×: ${verdict}`);
} else if (torch.error) {
  console.log(`\nPyTorch: ${torch.error}; comparison skipped`);
}
if (busy) console.log(`warning: other processes used ${(busyBefore * 100).toFixed(0)}% of the CPUs before the run; the figures are not reliable`);
console.log(JSON.stringify({ tfjs: results, torch, torch1: torch1 ?? null, pairs: pairRatios, busyBefore }));
