// Benchmark (c): the first digest of a large file by `stagecraft plan` (a pipeline whose source is
// that file, with an empty cache) against `sha256sum` on the same file, side by side; then a
// re-plan with nothing changed, which must not read the file again. Goal: >= 0.9x sha256sum's speed.
import { closeSync, openSync, writeSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import { BIN, has, median, summary, tempDir, timed } from "./lib.mjs";

const GB = Number(process.env.BENCH_GB ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dir = tempDir("digest");
mkdirSync(path.join(dir, "data"));
const file = path.join(dir, "data/big.jsonl");
const fd = openSync(file, "w");
const chunk = Buffer.alloc(8 << 20);
for (let i = 0; i < chunk.length; i++) chunk[i] = 97 + (i % 26);
for (let w = 0; w < (GB * 1024) / 8; w++) writeSync(fd, chunk);
closeSync(fd);
writeFileSync(path.join(dir, "pipeline.sc"), 'dataset big = jsonl("data/big.jsonl")\nstage s : command { run = ["true"]  inputs = [big] }\n');

const ours = [];
const theirs = [];
for (let i = 0; i < RUNS; i++) {
  // Alternate, with an empty cache each time, so both read the file from the page cache alike.
  rmSync(path.join(dir, ".stagecraft"), { recursive: true, force: true });
  ours.push(timed(process.execPath, [BIN, "plan", "pipeline.sc"], { cwd: dir }).ms);
  if (has("sha256sum")) theirs.push(timed("sha256sum", [file]).ms);
}
const replans = [];
for (let i = 0; i < RUNS; i++) replans.push(timed(process.execPath, [BIN, "plan", "pipeline.sc"], { cwd: dir }).ms);
const bytes = GB * 2 ** 30;
const result = {
  bench: "digest",
  bytes,
  stagecraftFirstPlan: summary(ours),
  sha256sum: theirs.length ? summary(theirs) : "not installed",
  // Speed relative to sha256sum: above 1 means faster.
  ratio: theirs.length ? median(theirs) / median(ours) : undefined,
  replanMs: summary(replans),
  goal: { ratio: 0.9, replanReadsFile: false },
};
console.log(JSON.stringify(result, null, 2));
rmSync(dir, { recursive: true, force: true });
