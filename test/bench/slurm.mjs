// Benchmark: the same DAG shapes on the same local Slurm cluster (scripts/slurm/cluster.sh), side by side:
//   `stagecraft run --executor slurm` against `snakemake --cluster "sbatch ..." --jobs N` (Debian's 7.21),
// for a 10-node chain and a 20-node fan-out (one root, 19 jobs after it), every job trivial. The scheduler's
// floor is measured with raw `sbatch --dependency=afterok` jobs: the hop latency (gap between the starts of
// consecutive jobs in a chain) × the depth, and × the scheduling waves (a level wider than the node's CPUs
// runs in turns: on 2 CPUs the fan-out's 19 leaves take 10 waves), and the raw chain's and fan-out's wall times.
// Goal (issue 5): stagecraft within 1.2× of the floor on the chain, and ahead of Snakemake.
// Env: BENCH_RUNS (default 2), BENCH_SNAKEMAKE=0 to skip Snakemake.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BIN, ROOT, has, median, summary, tempDir, timed } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 2);
if (!has("sbatch")) {
  console.log(JSON.stringify({ bench: "slurm", skipped: "sbatch is not installed (apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge)" }));
  process.exit(0);
}
const up = spawnSync("bash", [path.join(ROOT, "scripts/slurm/cluster.sh"), "start"], { encoding: "utf8" });
const conf = /export SLURM_CONF=(\S+)/.exec(up.stdout)?.[1];
if (up.status !== 0 || !conf) throw new Error(`cluster.sh start failed:\n${up.stdout}${up.stderr}`);
const env = { ...process.env, SLURM_CONF: conf, NO_COLOR: "1", USER: process.env.USER ?? "root" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const scratch = [];
const tmp = (tag) => {
  const d = tempDir(tag);
  scratch.push(d);
  return d;
};

/** Shapes as (name, parents) lists: a chain of 10, and a root with 19 jobs after it. */
const SHAPES = {
  chain10: Array.from({ length: 10 }, (_, i) => [`n${i}`, i ? [`n${i - 1}`] : []]),
  fanout20: [["root", []], ...Array.from({ length: 19 }, (_, i) => [`leaf${i}`, ["root"]])],
};
const depth = { chain10: 10, fanout20: 2 };
/** Scheduling waves: per level of the DAG, ceil(jobs / CPUs) (one CPU a job), as a 2-CPU node runs a wide level in turns. */
const cpus = Number(spawnSync("sinfo", ["-h", "-o", "%c"], { env, encoding: "utf8" }).stdout.trim().split("\n")[0]) || 1;
const waves = { chain10: 10, fanout20: 1 + Math.ceil(19 / cpus) };

function pipeline(shape) {
  const stages = shape.map(([n, ps]) =>
    `stage ${n} : command {\n  run = ["touch", "out/${n}.txt"]\n  outputs = ["out/${n}.txt"]${ps.length ? `\n  after = [${ps.join(", ")}]` : ""}\n}`);
  return `pipeline bench { seed = 1 }\n\n${stages.join("\n\n")}\n`;
}

function snakefile(shape) {
  const leaves = shape.filter(([n]) => !shape.some(([, ps]) => ps.includes(n))).map(([n]) => `"out/${n}.txt"`);
  const rules = shape.map(([n, ps]) => `rule ${n}:\n    input: ${ps.length ? ps.map((p) => `"out/${p}.txt"`).join(", ") : "[]"}\n    output: "out/${n}.txt"\n    shell: "touch {output}"\n`);
  return `rule all:\n    input: ${leaves.join(", ")}\n\n${rules.join("\n")}`;
}

/** Raw sbatch: every job writes its start time; returns the wall time until Slurm has finished them all. */
async function rawSlurm(shape, dir) {
  mkdirSync(dir, { recursive: true });
  const ids = new Map();
  const t0 = Date.now();
  for (const [n, ps] of shape) {
    const dep = ps.length ? [`--dependency=afterok:${ps.map((p) => ids.get(p)).join(":")}`] : [];
    const r = spawnSync("sbatch", ["--parsable", "-o", "/dev/null", "-J", `raw-${n}`, ...dep, "--wrap", `date +%s.%N > ${dir}/${n}.t`], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    ids.set(n, r.stdout.trim());
  }
  const list = [...ids.values()].join(",");
  for (;;) {
    const q = spawnSync("squeue", ["-h", "-j", list, "-o", "%T"], { env, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    if (!q.length || q.every((s) => s === "COMPLETED")) break;
    await sleep(50);
  }
  const wall = Date.now() - t0;
  const starts = shape.map(([n]) => Number(readFileSync(path.join(dir, `${n}.t`), "utf8")) * 1000);
  return { wall, starts, t0 };
}

async function main() {
  const out = { bench: "slurm", cluster: conf, cpus, runs: RUNS, shapes: {} };
  // Warm the controller: its first batch-scheduling pass happens ~3 s after start.
  await rawSlurm(SHAPES.chain10.slice(0, 1), tmp("warm"));

  const hops = [];
  const rawChain = [];
  for (let i = 0; i < Math.max(RUNS, 2); i++) {
    const r = await rawSlurm(SHAPES.chain10, tmp("raw-chain"));
    rawChain.push(r.wall);
    for (let k = 1; k < r.starts.length; k++) hops.push(r.starts[k] - r.starts[k - 1]);
  }
  const hop = hops.reduce((a, b) => a + b, 0) / hops.length;
  out.hopLatencyMs = { mean: Math.round(hop), median: Math.round(median(hops)), samples: hops.length };

  for (const [name, shape] of Object.entries(SHAPES)) {
    const dir = tempDir(`slurm-${name}`);
    writeFileSync(path.join(dir, "p.sc"), pipeline(shape));
    writeFileSync(path.join(dir, "Snakefile"), snakefile(shape));
    const raw = name === "chain10" ? rawChain : [];
    if (name !== "chain10") for (let i = 0; i < RUNS; i++) raw.push((await rawSlurm(shape, tmp(`raw-${name}`))).wall);
    const ours = [];
    const theirs = [];
    for (let i = 0; i < RUNS; i++) {
      for (const d of ["out", ".stagecraft", ".snakemake"]) rmSync(path.join(dir, d), { recursive: true, force: true });
      mkdirSync(path.join(dir, "out"));
      ours.push(timed(process.execPath, [BIN, "run", "p.sc", "--executor", "slurm"], { cwd: dir, env }).ms);
      if (has("snakemake") && process.env.BENCH_SNAKEMAKE !== "0") {
        for (const d of ["out", ".snakemake"]) rmSync(path.join(dir, d), { recursive: true, force: true });
        mkdirSync(path.join(dir, "out"));
        const args = ["--cluster", "sbatch --parsable -o /dev/null", "--jobs", String(shape.length), "--latency-wait", "5", "--quiet"];
        theirs.push(timed("snakemake", args, { cwd: dir, env }).ms);
      }
    }
    const floor = hop * waves[name];
    const o = summary(ours);
    const t = theirs.length ? summary(theirs) : undefined;
    out.shapes[name] = {
      nodes: shape.length,
      depth: depth[name],
      hopTimesDepthMs: Math.round(hop * depth[name]),
      waves: waves[name],
      floorMs: Math.round(floor),
      rawSbatchMs: summary(raw),
      stagecraftMs: o,
      snakemakeMs: t ?? "not run",
      stagecraftOverFloor: +(o.median / floor).toFixed(2),
      stagecraftOverRawSbatch: +(o.median / median(raw)).toFixed(2),
      snakemakeOverStagecraft: t ? +(t.median / o.median).toFixed(2) : undefined,
    };
    rmSync(dir, { recursive: true, force: true });
  }
  out.goal = { stagecraftOverFloor: 1.2, aheadOfSnakemake: true };
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
  console.log(JSON.stringify(out, null, 2));
}

await main();
