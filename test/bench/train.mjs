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
import { loadavg } from "node:os";
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

// Timings are only comparable on an idle machine: say how busy it was.
const loadBefore = loadavg()[0];
const results = {};
for (const m of modes) {
  results[m] = runJson(process.execPath, ["--import", "tsx", path.join(here, "train-tfjs.mjs"), m]);
  console.error(`# ${m}: ${results[m].error ?? `${results[m].ms_per_step} ms/step`}`);
}

const py = findTorchPython();
let torch;
let torch1;
if (!py) {
  torch = { error: "not installed (python3 cannot import torch: apt-get install -y python3-torch libopenblas0-openmp)" };
} else {
  const omp = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
  const env = existsSync(omp) ? { LD_LIBRARY_PATH: [omp, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") } : {};
  torch = { python: py, ...runJson(py, [path.join(here, "train_torch.py")], env) };
  // One thread as well: the same thread count as tfjs-wasm in Node, and steadier on a busy machine.
  torch1 = { python: py, ...runJson(py, [path.join(here, "train_torch.py")], { ...env, TORCH_THREADS: "1" }) };
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
const load = { before: +loadBefore.toFixed(2), after: +loadavg()[0].toFixed(2) };
const busy = Math.max(load.before, load.after) > 0.5;
const best = results["wasm"];
if (best && !best.error && !torch.error) {
  const ratio = torch.ms_per_step / best.ms_per_step;
  // torch's OpenMP threads spin and stall when other processes hold the cores: a busy machine
  // flatters tfjs, so no verdict is given then.
  const verdict = busy ? "not judged on a busy machine" : ratio >= 0.5 ? "met" : "not met";
  console.log(`\nbest local backend (wasm, products on ${best.wasm?.matmul}): ${ratio.toFixed(3)}× PyTorch; goal 0.5×: ${verdict}`);
} else if (torch.error) {
  console.log(`\nPyTorch: ${torch.error}; comparison skipped`);
}
if (busy) console.log(`warning: load average ${load.before} → ${load.after}; other work shares the CPUs and the figures are not reliable`);
console.log(JSON.stringify({ tfjs: results, torch, torch1: torch1 ?? null, load }));
