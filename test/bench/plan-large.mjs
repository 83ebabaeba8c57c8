// Benchmark (a): `stagecraft plan` of a generated 10,000-node pipeline against `snakemake -n` on a
// DAG of the same shape (node i depends on node (i-1)/2), side by side. Goal: >= 20x faster, < 1 s.
import { writeFileSync } from "node:fs";
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

const ours = [];
for (let i = 0; i <= RUNS; i++) {
  const r = timed(process.execPath, [BIN, "plan", "pipeline.sc", "--cache-dir", ".cache"], { cwd: dir });
  if (i > 0) ours.push(r.ms);
}
const result = { bench: "plan-large", nodes: N, stagecraft: summary(ours) };
if (has("snakemake")) {
  const theirs = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) theirs.push(timed("snakemake", ["-n", "--cores", "1", "--quiet"], { cwd: dir }).ms);
  result.snakemake = summary(theirs);
  result.speedup = result.snakemake.median / result.stagecraft.median;
} else result.snakemake = "not installed (apt-get install snakemake)";
result.goal = { speedup: 20, stagecraftMs: 1000 };
console.log(JSON.stringify(result, null, 2));
