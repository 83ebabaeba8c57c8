// Benchmark (b): a no-op `stagecraft run` of a fully cached 50-node pipeline (command stages and
// data transforms), as a whole process. Goal: under 300 ms.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BIN, summary, tempDir, timed } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const dir = tempDir("noop");
mkdirSync(path.join(dir, "data"));
mkdirSync(path.join(dir, "out"));
writeFileSync(path.join(dir, "data/rows.jsonl"), Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: i, q: i % 7, text: `row ${i}` })).join("\n") + "\n");
const lines = ['dataset rows = jsonl("data/rows.jsonl", fields: ["id", "q", "text"])'];
for (let i = 0; i < 25; i++) lines.push(`dataset d${i} = rows | where q >= ${i % 7} | take(${100 + i})`);
for (let i = 0; i < 25; i++) lines.push(`stage s${i} : command { run = ["sh", "-c", "wc -l < $STAGECRAFT_INPUT_D${i} > out/${i}.txt"]  inputs = [d${i}]  outputs = ["out/${i}.txt"] }`);
writeFileSync(path.join(dir, "pipeline.sc"), `${lines.join("\n")}\n`);
const first = timed(process.execPath, [BIN, "run", "pipeline.sc", "--jobs", "2"], { cwd: dir });
const noop = [];
for (let i = 0; i <= RUNS; i++) {
  const r = timed(process.execPath, [BIN, "run", "pipeline.sc"], { cwd: dir });
  if (!/ 0 ran, \d+ restored, 0 failed/.test(r.stderr)) throw new Error(`expected a no-op run, got:\n${r.stderr}`);
  if (i > 0) noop.push(r.ms);
}
console.log(JSON.stringify({ bench: "noop-run", nodes: 58, firstRunMs: first.ms, noopRun: summary(noop), goalMs: 300 }, null, 2));
