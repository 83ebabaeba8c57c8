// Benchmark (d): `stagecraft run --jobs 2` of 1,000 independent trivial command nodes from scratch,
// against `snakemake --cores 2` building 1,000 `touch` jobs; jobs per second, side by side.
// Goal: >= 3x Snakemake's jobs per second.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BIN, has, summary, tempDir, timed } from "./lib.mjs";

const N = Number(process.env.BENCH_JOBS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const dir = tempDir("jobs");
const sc = [];
for (let i = 0; i < N; i++) sc.push(`stage t${i} : command { run = ["touch", "out/${i}.txt"]  outputs = ["out/${i}.txt"] }`);
writeFileSync(path.join(dir, "pipeline.sc"), `${sc.join("\n")}\n`);
writeFileSync(path.join(dir, "Snakefile"), `rule all:\n    input: expand("out/{i}.txt", i=range(${N}))\nrule touch:\n    output: "out/{i}.txt"\n    shell: "touch {output}"\n`);

const ours = [];
const theirs = [];
for (let i = 0; i < RUNS; i++) {
  rmSync(path.join(dir, "out"), { recursive: true, force: true });
  rmSync(path.join(dir, ".stagecraft"), { recursive: true, force: true });
  mkdirSync(path.join(dir, "out"));
  ours.push(timed(process.execPath, [BIN, "run", "pipeline.sc", "--jobs", "2"], { cwd: dir }).ms);
  if (has("snakemake")) {
    rmSync(path.join(dir, "out"), { recursive: true, force: true });
    rmSync(path.join(dir, ".snakemake"), { recursive: true, force: true });
    theirs.push(timed("snakemake", ["--cores", "2", "--quiet"], { cwd: dir }).ms);
  }
}
const perSec = (ms) => (N / ms) * 1000;
const o = summary(ours);
const t = theirs.length ? summary(theirs) : undefined;
console.log(JSON.stringify({
  bench: "many-jobs", jobs: N,
  stagecraft: { ...o, jobsPerSecond: perSec(o.median) },
  snakemake: t ? { ...t, jobsPerSecond: perSec(t.median) } : "not installed",
  ratio: t ? perSec(o.median) / perSec(t.median) : undefined,
  goal: { ratio: 3 },
}, null, 2));
