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
// compiled form is kept in the cache (every later plan while the file is unchanged).
const plan = () => timed(process.execPath, [BIN, "plan", "pipeline.sc", "--cache-dir", ".cache"], { cwd: dir }).ms;
const cold = [];
const warm = [];
plan(); // warm-up (file system, module cache)
for (let i = 0; i < RUNS; i++) {
  rmSync(path.join(dir, ".cache", "compiled"), { recursive: true, force: true });
  cold.push(plan());
  warm.push(plan());
}
const result = { bench: "plan-large", nodes: N, stagecraft: { cold: summary(cold), warm: summary(warm) } };
if (has("snakemake")) {
  const theirs = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) theirs.push(timed("snakemake", ["-n", "--cores", "1", "--quiet"], { cwd: dir }).ms);
  result.snakemake = summary(theirs);
  result.speedup = { cold: result.snakemake.median / result.stagecraft.cold.median, warm: result.snakemake.median / result.stagecraft.warm.median };
} else result.snakemake = "not installed (apt-get install snakemake)";
result.goal = { speedup: 20, stagecraftMs: 1000 };
console.log(JSON.stringify(result, null, 2));
