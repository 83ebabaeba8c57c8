import { hostname } from "node:os";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { removeStaleScratch } from "../cache/gc.js";
import { RUN_TOKEN_ENV } from "../cache/leftovers.js";
import { acquireLock, describeTakeover } from "../cache/lock.js";
import { execute } from "../../runtime/executor.js";
import type { RunEvent } from "../../runtime/events.js";
import type { Plan } from "../plan/plan.js";
import { renderPlan } from "../plan/render.js";
import { first, type Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { LiveProgress } from "./progress.js";
import { openPipeline, planFor, saveStats, type Session } from "./session.js";

/** Plain lines for a log or CI; JSON lines for tools. */
export function renderEvent(e: RunEvent, color: boolean): string | undefined {
  const c = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  switch (e.type) {
    case "start":
      return `run ${e.runId}: ${e.toRun} of ${e.nodes} nodes to run${e.backend ? ` (backend ${e.backend})` : ""}`;
    case "node-start":
      return `${c("33", "▶")} ${e.node} (${e.op})`;
    case "node-done":
      if (e.action === "restored") return e.detail ? `${c("32", "✓")} ${e.node} ${c("2", `cached, ${e.detail}`)}` : undefined;
      return `${c("32", "✓")} ${e.node} ${c("2", `${e.seconds.toFixed(1)}s${e.detail ? `, ${e.detail}` : ""}`)}`;
    case "node-failed":
      return `${c("31", "✗")} ${e.node} failed${e.where ? ` (${e.where})` : ""}: ${e.error}`;
    case "node-skipped":
      return `${c("2", "-")} ${e.node} not run: ${e.reason}`;
    case "warning":
      return `${c("33", "!")} ${e.node}: ${e.message}`;
    case "log":
    case "progress":
      return undefined;
    case "finish":
      return `${e.status === "ok" ? c("32", "done") : c("31", e.status)}: ${e.ran} ran, ${e.restored} restored, ${e.failed} failed in ${e.seconds.toFixed(1)}s`;
  }
}

/** `stagecraft run FILE`: executes the plan under the cache's run lock. */
export async function runRun(a: Args, io: CliIO, color: boolean): Promise<number> {
  const jobs = Number(first(a, "--jobs") ?? 1);
  if (!Number.isInteger(jobs) || jobs < 1) {
    io.stderr("stagecraft run: --jobs takes a whole number of at least 1\n");
    return EXIT.usage;
  }
  const executor = first(a, "--executor") ?? "local";
  if (executor !== "local" && executor !== "slurm") {
    io.stderr(`stagecraft run: unknown executor '${executor}'; executors: local, slurm\n`);
    return EXIT.usage;
  }
  if (executor !== "slurm" && (a.flags.has("--detach") || a.flags.has("--cancel-on-interrupt"))) {
    io.stderr("stagecraft run: --detach and --cancel-on-interrupt go with --executor slurm\n");
    return EXIT.usage;
  }
  const s = await openPipeline("run", a, io, color, "write");
  if (typeof s === "number") return s;
  const signal = io.signal ?? new AbortController().signal;
  const json = a.flags.has("--json");
  const say = (line: string) => (json ? undefined : io.stderr(`${line}\n`));
  const lock = await acquireLock(s.store.root, {
    signal,
    onWait: (h) =>
      say(
        h && h.host === hostname()
          ? `waiting for the run of pid ${h.pid} to finish (${s.store.root}/lock.json); if it is stopped or stuck, end it with kill ${h.pid}`
          : `waiting for the run of pid ${h?.pid ?? "?"}${h ? ` on ${h.host}` : ""} to finish (${s.store.root}/lock.json)`,
      ),
    onTakeover: (t) => say(describeTakeover(t)),
  });
  if (!lock.ok) {
    io.stderr("stagecraft run: interrupted while waiting for the cache lock\n");
    return 130;
  }
  try {
    // What runs that died left in the cache's scratch goes first (as gc would remove it).
    await removeStaleScratch(s.store).catch(() => 0);
    // Planned under the lock, so a run that finished while we waited is seen as cached.
    const plan = await planFor(s, a);
    // With --keep-going what is not blocked runs, as Snakemake's does; the blocked fail with their reason.
    if (plan.totals.blocked > 0 && !a.flags.has("--keep-going")) {
      io.stderr(renderPlan(plan, { color }));
      io.stderr("stagecraft run: some nodes are blocked; nothing was run (--keep-going runs what does not depend on them)\n");
      return EXIT.errors;
    }
    // A terminal gets live lines for running nodes; CI and logs get plain lines; tools get JSON.
    const live = !json && io.isTTY && !io.env["CI"] ? new LiveProgress(io.stderr, (e) => renderEvent(e, color)) : undefined;
    live?.start();
    const emit = (e: RunEvent) => {
      if (json) io.stdout(`${JSON.stringify(e)}\n`);
      else if (live) live.onEvent(e);
      else {
        const line = renderEvent(e, color);
        if (line !== undefined) io.stderr(`${line}\n`);
      }
    };
    // What a local run starts carries the lock's token, so a run that takes over the lock after
    // this one is killed can stop what it left running (see src/cache/leftovers.ts). Slurm jobs
    // are meant to outlive their submitter, so they never carry it.
    if (executor !== "slurm") process.env[RUN_TOKEN_ENV] = lock.value.info.token;
    try {
      return await runWith(executor, s, plan, a, io, signal, emit, say, jobs);
    } finally {
      delete process.env[RUN_TOKEN_ENV];
      live?.stop();
    }
  } finally {
    await lock.value.release();
  }
}

/** Runs the plan on the executor asked for and turns its result into an exit code. */
async function runWith(
  executor: string,
  s: Session,
  plan: Plan,
  a: Args,
  io: CliIO,
  signal: AbortSignal,
  emit: (e: RunEvent) => void,
  say: (l: string) => void,
  jobs: number,
): Promise<number> {
  const result =
    executor === "slurm"
      ? await runOnSlurm(s, plan, a, io, signal, emit, say)
      : await execute(plan, s.ir, s.store, { jobs, keepGoing: a.flags.has("--keep-going"), signal, backend: s.backend, emit, digest: async (f) => (await s.stats.digest(f)).digest }, (f) => s.sources.get(f));
  if (executor !== "slurm") await saveStats(s);
  return result.status === "ok" ? EXIT.ok : result.status === "interrupted" ? 130 : EXIT.errors;
}

/** `run --executor slurm`: the same plan, one batch job per stage; the Slurm side is loaded only here. */
async function runOnSlurm(s: Session, plan: Plan, a: Args, io: CliIO, signal: AbortSignal, emit: (e: RunEvent) => void, say: (l: string) => void) {
  const { executeSlurm } = await import("../../runtime/slurm/executor.js");
  const { slurmCli } = await import("../../runtime/slurm/slurm.js");
  return executeSlurm(plan, s.ir, s.store, {
    slurm: slurmCli(io.env),
    job: { entry: [process.execPath, selfEntry()], file: s.file, dir: process.cwd(), backend: first(a, "--backend") },
    keepGoing: a.flags.has("--keep-going"),
    detach: a.flags.has("--detach"),
    cancelOnInterrupt: a.flags.has("--cancel-on-interrupt"),
    signal,
    emit,
    say,
    sourceOf: (f) => s.sources.get(f),
  });
}

/** bin/stagecraft.js of this installation (found from the bundle in dist/, or from the sources), for job scripts. */
function selfEntry(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const bin = path.join(dir, "bin", "stagecraft.js");
    if (existsSync(bin)) return bin;
    const up = path.dirname(dir);
    if (up === dir) return process.argv[1] ?? "stagecraft";
    dir = up;
  }
}
