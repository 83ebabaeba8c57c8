// Shared helpers for the benchmarks: whole-process timing with medians, and temp directories.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "bin/stagecraft.js");

export function tempDir(tag) {
  return mkdtempSync(path.join(tmpdir(), `stagecraft-bench-${tag}-`));
}

/** Runs a command to completion and returns its wall time in ms; throws on a non-zero exit unless allowed. */
export function timed(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0 && !(opts.okStatus ?? [0]).includes(r.status)) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stderr?.slice(-2000)}`);
  return { ms, stdout: r.stdout, stderr: r.stderr, status: r.status };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function summary(xs) {
  return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs), runs: xs.length };
}

export function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}
