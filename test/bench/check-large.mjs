// Benchmark: `stagecraft check` of a generated pipeline of 10,000 stages, as a whole process.
// Reports the median wall time and peak memory over several runs. Goal: under 1 s and 300 MB.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const stages = Number(process.env.BENCH_STAGES ?? 10000);
const runs = Number(process.env.BENCH_RUNS ?? 7);
const dir = mkdtempSync(path.join(tmpdir(), "stagecraft-bench-"));
const file = path.join(dir, "generated.sc");
const gen = spawnSync(process.execPath, [path.join(here, "gen-pipeline.mjs"), String(stages)], { encoding: "utf8", maxBuffer: 1 << 28 });
writeFileSync(file, gen.stdout);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const walls = [];
const rss = [];
for (let i = 0; i <= runs; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(here, "measure.mjs"), "check", file], { encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const last = JSON.parse(r.stderr.trim().split("\n").pop());
  if (last.exit !== 0) throw new Error(`check failed on the generated pipeline:\n${r.stderr}`);
  if (i === 0) continue; // warm-up: file cache
  walls.push(wall);
  rss.push(last.maxRssKiB / 1024);
}
const result = {
  bench: "check-large",
  stages,
  lines: gen.stdout.split("\n").length,
  runs,
  wallMs: { min: Math.min(...walls), median: median(walls), max: Math.max(...walls) },
  peakMiB: { median: median(rss), max: Math.max(...rss) },
  goal: { wallMs: 1000, peakMiB: 300 },
};
console.log(JSON.stringify(result, null, 2));
