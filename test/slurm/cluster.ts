import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseQueue, type QueuedJob } from "../../runtime/slurm/slurm.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "bin", "stagecraft.js");
const SCRIPT = path.join(ROOT, "scripts", "slurm", "cluster.sh");

/** Why the Slurm tests cannot run here, or undefined when they can. */
export function slurmMissing(): string | undefined {
  for (const c of ["sbatch", "slurmctld", "slurmd", "munged"]) {
    const r = spawnSync(c, ["--version"], { env: { ...process.env, PATH: `${process.env["PATH"] ?? ""}:/usr/sbin:/sbin` } });
    if (r.error) return `${c} is not installed (apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge)`;
  }
  if (!existsSync(path.join(ROOT, "dist", "bundle", "main.mjs"))) return "dist/bundle/main.mjs is missing: run `npm run build` first";
  return undefined;
}

export interface Cluster {
  /** The environment every client and CLI call gets: SLURM_CONF of the running cluster. */
  readonly env: Record<string, string>;
  /** Whether this test file started it (and so stops it). */
  readonly startedHere: boolean;
}

/** The local cluster of scripts/slurm/cluster.sh, started unless it already runs (as CI starts it). */
export function ensureCluster(): Cluster {
  const env = { ...process.env } as Record<string, string>;
  const running = spawnSync("bash", [SCRIPT, "status"], { env, encoding: "utf8", timeout: 60_000 }).status === 0;
  const r = spawnSync("bash", [SCRIPT, "start"], { env, encoding: "utf8", timeout: 60_000 });
  const conf = /export SLURM_CONF=(\S+)/.exec(r.stdout)?.[1];
  if (r.status !== 0 || !conf) throw new Error(`scripts/slurm/cluster.sh start failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { env: { ...env, SLURM_CONF: conf, NO_COLOR: "1" }, startedHere: !running };
}

export function stopCluster(c: Cluster): void {
  if (c.startedHere) spawnSync("bash", [SCRIPT, "stop"], { env: c.env, timeout: 60_000 });
}

/** Every job Slurm knows that belongs to the cache at `cacheRoot` (its comment says so). */
export function jobsOf(c: Cluster, cacheRoot: string): QueuedJob[] {
  const r = spawnSync("squeue", ["--me", "--states=all", "--noheader", "--format=%i|%j|%T|%r|%k"], { env: c.env, encoding: "utf8" });
  return parseQueue(r.stdout).filter((j) => j.comment === `stagecraft:${cacheRoot}`);
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Spawned {
  readonly done: Promise<Ran>;
  readonly pid: number;
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
}

/** The built CLI as its own process in `dir`, as a user (or a job script) runs it. */
export function spawnCli(c: Cluster, dir: string, args: readonly string[]): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: c.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
    for (const w of [...waiters]) if (w.re.test(stderr)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const done = new Promise<Ran>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  const waitFor = (re: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(stderr)) return resolve();
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${stderr}`)), timeoutMs);
      waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
    });
  return { done, pid: child.pid!, waitFor };
}

export function cli(c: Cluster, dir: string, args: readonly string[]): Promise<Ran> {
  return spawnCli(c, dir, args).done;
}

/** A fresh project directory with the given files. */
export function project(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "sc-slurm-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

export function removeAll(dirs: readonly string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Names of the stages this run's output says it submitted. */
export function submittedStages(stderr: string): string[] {
  return [...stderr.matchAll(/^(\S+): submitted job \d+/gm)].map((m) => m[1]!).sort();
}

/** Polls `fn` until it returns true, or fails after `ms`. */
export async function eventually(fn: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
