// Benchmark (a): `stagecraft plan` of a generated 10,000-node pipeline against `snakemake -n` on a
// DAG of the same shape (node i depends on node (i-1)/2), side by side. Goal: >= 20x faster, < 1 s.
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BIN, has, summary, tempDir, timed } from "./lib.mjs";

const N = Number(process.env.BENCH_NODES ?? 10000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const dir = tempDir("plan");
const sc = [];
for (let i = 0; i < N; i++) {
  const after = i === 0 ? "" : `  after = [n${Math.floor((i - 1) / 2)}]`;
  sc.push(`stage n${i} : command { run = ["touch", "out/${i}.txt"]  outputs = ["out/${i}.txt"]${after} }`);
}
writeFileSync(path.join(dir, "pipeline.sc"), `${sc.join("\n")}\n`);
writeFileSync(
  path.join(dir, "Snakefile"),
  `N = ${N}
rule all:
    input: expand("out/{i}.txt", i=range(N))
rule node:
    output: "out/{i}.txt"
    input: lambda w: [] if int(w.i) == 0 else [f"out/{(int(w.i) - 1) // 2}.txt"]
    shell: "touch {output}"
`,
);

// Cold: the pipeline is parsed, checked and lowered (the first plan after an edit). Warm: its
// compiled form is kept in the cache (every later plan while the file is unchanged). Each round runs
// both and then Snakemake, and the ratios are taken round by round: this machine's speed drifts by
// tens of percent over minutes, and a ratio of adjacent runs is steadier than one of medians.
const plan = () => timed(process.execPath, [BIN, "plan", "pipeline.sc", "--cache-dir", ".cache"], { cwd: dir }).ms;
const snake = has("snakemake");
const cold = [];
const warm = [];
const theirs = [];
plan(); // warm-up (file system, module cache)
for (let i = 0; i < RUNS; i++) {
  rmSync(path.join(dir, ".cache", "compiled"), { recursive: true, force: true });
  cold.push(plan());
  warm.push(plan());
  if (snake && i < Math.max(3, Math.ceil(RUNS / 2))) theirs.push(timed("snakemake", ["-n", "--cores", "1", "--quiet"], { cwd: dir }).ms);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const result = { bench: "plan-large", nodes: N, stagecraft: { cold: summary(cold), warm: summary(warm) } };
if (snake) {
  result.snakemake = summary(theirs);
  const per = (ours) => theirs.map((t, i) => t / ours[i]);
  result.speedup = { cold: median(per(cold)), warm: median(per(warm)), rounds: { cold: per(cold).map((r) => +r.toFixed(1)), warm: per(warm).map((r) => +r.toFixed(1)) } };
} else result.snakemake = "not installed (apt-get install snakemake)";
result.goal = { speedup: 20, stagecraftMs: 1000 };
console.log(JSON.stringify(result, null, 2));
