import path from "node:path";
import { newRunId, pipelineOf, type RunNode, type RunRecord } from "../../src/cache/manifest.js";
import type { Store } from "../../src/cache/store.js";
import type { Ir, IrNode, NodeId } from "../../src/ir/ir.js";
import type { Plan, PlannedNode } from "../../src/plan/plan.js";
import type { RunEvent } from "../events.js";
import type { RunResult } from "../executor.js";
import { logPath } from "./records.js";
import { keptMessage, restoreOutputs } from "../outputs.js";
import type { Slurm } from "./slurm.js";
import { isActive } from "./slurm.js";
import { type JobCommand, priorJob, submitUnit } from "./submit.js";
import { DEFAULT_POLLING, type Polling, track, type Tracked } from "./track.js";
import { jobUnits } from "./units.js";

export interface SlurmOptions {
  readonly slurm: Slurm;
  readonly job: JobCommand;
  readonly keepGoing: boolean;
  /** Submit and return; `stagecraft status` or another `run` follows the jobs. */
  readonly detach: boolean;
  /** On Ctrl-C, scancel this run's jobs; otherwise they are left running. */
  readonly cancelOnInterrupt: boolean;
  readonly signal: AbortSignal;
  readonly emit: (e: RunEvent) => void;
  /** Progress lines for people (submissions, how to reattach); not events. */
  readonly say: (line: string) => void;
  readonly sourceOf: (file: string) => string | undefined;
  readonly polling?: Polling;
}

export interface SlurmRunResult extends RunResult {
  /** Jobs submitted by this run, and jobs of an earlier one found queued or running and followed instead. */
  readonly submitted: number;
  readonly adopted: number;
  readonly detached: boolean;
  readonly jobs: readonly { readonly node: string; readonly jobId: string; readonly log: string }[];
}

/**
 * Runs a plan on Slurm: every stage that must run becomes one batch job (with the transforms feeding
 * it), submitted all at once with `afterok` on its parents' jobs, so the scheduler, not this process,
 * sequences the DAG. Jobs already queued, running or finished for the same node and fingerprint
 * (found by name) are followed instead of submitted again, so a killed submitter can simply rerun.
 */
export async function executeSlurm(plan: Plan, ir: Ir, store: Store, opts: SlurmOptions): Promise<SlurmRunResult> {
  const started = Date.now();
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const entries = new Map<string, RunNode>();
  const save = (status: RunRecord["status"]) =>
    store.writeRun({
      version: 1, id: runId, ...pipelineOf(store.root, plan.entry), startedAt, status, nodes: [...entries.values()],
      ...(status !== "running" ? { finishedAt: new Date().toISOString() } : {}),
    });
  const units = jobUnits(plan, ir);
  const toRun = plan.nodes.filter((n) => n.status === "run").length;
  opts.emit({ type: "start", runId, nodes: plan.nodes.length, toRun });
  if (!opts.detach) await save("running");
  let ran = 0;
  let restored = 0;
  let failed = 0;
  let submitted = 0;
  let adopted = 0;
  const whereOf = (n: IrNode) => `${n.span.file}:${(opts.sourceOf(n.span.file) ?? "").slice(0, n.span.start).split("\n").length}`;
  const fail = (pn: PlannedNode, error: string, where: string) => {
    failed++;
    entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "failed", error, record: pn.record });
    opts.emit({ type: "node-failed", node: pn.name, op: pn.op, error, where });
  };

  for (const pn of plan.nodes.filter((n) => n.status === "cached")) {
    restored++;
    entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "restored" });
    if (pn.op !== "command") continue;
    const m = await store.readManifest(pn.fingerprint, { remembered: true });
    if (!m.ok) {
      opts.emit({ type: "warning", node: pn.name, message: m.detail });
      continue;
    }
    const r = await restoreOutputs(store, m.manifest.outputs, ir.nodes.get(pn.id)!);
    if (!r.ok) opts.emit({ type: "warning", node: pn.name, message: `cannot restore ${r.output}: ${r.detail}` });
    else for (const k of r.kept) opts.emit({ type: "warning", node: pn.name, message: keptMessage(k.output, k.as, "and put the cached result back") });
  }

  const queue = await opts.slurm.queue().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  if (queue instanceof Error) {
    opts.say(`cannot reach Slurm: ${queue.message}`);
    return finish("failed");
  }
  // Submit in dependency order; a parent's job id is known before its children are submitted.
  const jobs = new Map<NodeId, Tracked>();
  const done = new Map<NodeId, "ok" | "failed">();
  for (const unit of units) {
    const pn = unit.node;
    const badDep = unit.deps.find((d) => done.get(d) === "failed");
    if (unit.missing || badDep) {
      done.set(pn.id, "failed");
      const reason = unit.missing
        ? `upstream ${unit.missing.name} is not in the cache and not part of this run`
        : `upstream ${ir.nodes.get(badDep!)?.name ?? "?"} did not finish`;
      entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "skipped" });
      opts.emit({ type: "node-skipped", node: pn.name, reason });
      continue;
    }
    const prior = priorJob(queue, unit, store);
    if (prior && isActive(prior.state)) {
      adopted++;
      jobs.set(pn.id, tracked(unit, prior.id, prior.state, prior.reason));
      opts.say(`${pn.name}: following job ${prior.id} (${prior.state.toLowerCase()}), submitted by an earlier run`);
      if (jobs.get(pn.id)!.started) opts.emit({ type: "node-start", node: pn.name, op: pn.op });
      continue;
    }
    if (!unit.forced && (await store.readManifest(pn.fingerprint)).ok) {
      // Finished since the plan was made (by an earlier run's job, or another user of the cache).
      done.set(pn.id, "ok");
      restored++;
      entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "restored" });
      opts.emit({ type: "node-done", node: pn.name, op: pn.op, action: "restored", seconds: 0, detail: prior ? `job ${prior.id}` : "already in the cache" });
      continue;
    }
    const parents = unit.deps.map((d) => jobs.get(d)).filter((t): t is Tracked => t !== undefined && !t.end && isActive(t.state)).map((t) => t.jobId);
    const r = await submitUnit(opts.slurm, store, opts.job, unit, parents);
    if (!r.ok) {
      done.set(pn.id, "failed");
      fail(pn, `sbatch refused the job: ${r.error}`, whereOf(ir.nodes.get(pn.id)!));
      continue;
    }
    submitted++;
    jobs.set(pn.id, tracked(unit, r.id, "PENDING", "None"));
    opts.say(`${pn.name}: submitted job ${r.id}${parents.length ? ` (after ${parents.join(", ")})` : ""}`);
  }
  if (opts.detach) {
    opts.say(`${submitted} job${submitted === 1 ? "" : "s"} submitted${adopted ? `, ${adopted} already queued` : ""}; \`stagecraft status ${plan.entry}\` shows their progress`);
    return result(failed ? "failed" : "ok", true);
  }

  let stopping = false;
  await track([...jobs.values()], store, opts.slurm, {
    started: (t) => opts.emit({ type: "node-start", node: t.unit.node.name, op: t.unit.node.op }),
    cached: async (t) => (await store.readManifest(t.unit.node.fingerprint)).ok,
    settled: (t) => {
      const pn = t.unit.node;
      const end = t.end!;
      if (end.kind === "ok") {
        const inner = end.record?.ran ?? [];
        for (const r of inner) if (r.node !== pn.name) opts.emit({ type: "node-done", node: r.node, op: r.op, action: "ran", seconds: r.seconds });
        ran += inner.length;
        const own = inner.find((r) => r.node === pn.name);
        if (!own) restored++;
        const seconds = own?.seconds ?? end.record?.seconds ?? 0;
        entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: own ? "ran" : "restored", seconds });
        opts.emit({ type: "node-done", node: pn.name, op: pn.op, action: own ? "ran" : "restored", seconds, detail: `job ${t.jobId}` });
      } else if (end.kind === "skipped") {
        entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "skipped" });
        const up = t.unit.deps.map((d) => jobs.get(d)).find((p) => p?.end && p.end.kind !== "ok");
        opts.emit({ type: "node-skipped", node: pn.name, reason: up ? `upstream ${up.unit.node.name} did not finish` : end.reason });
      } else {
        const rec = end.record;
        const where = rec?.where && rec.node !== pn.name ? relativeWhere(rec.where, opts.job.dir) : whereOf(ir.nodes.get(pn.id)!);
        fail(pn, `${end.error} (Slurm job ${t.jobId}; log ${t.log})`, where);
        // Slurm cancels the jobs that depend on this one (--kill-on-invalid-dep); say so now, as a local run would.
        for (const d of downstream(pn.id)) skip(d, `upstream ${pn.name} did not finish`);
        if (!opts.keepGoing && !stopping) {
          stopping = true;
          void stopPending(pn.name);
        }
      }
      void save("running").catch(() => undefined);
    },
  }, opts.signal, opts.polling ?? DEFAULT_POLLING);

  if (opts.signal.aborted) {
    const left = [...jobs.values()].filter((t) => !t.end).map((t) => t.jobId);
    if (opts.cancelOnInterrupt && left.length) {
      await opts.slurm.cancel(left);
      opts.say(`cancelled job${left.length === 1 ? "" : "s"} ${left.join(", ")}`);
    } else if (left.length) {
      opts.say(`left job${left.length === 1 ? "" : "s"} ${left.join(", ")} running in Slurm; \`stagecraft status ${plan.entry}\` shows them, ` +
        `\`stagecraft run ${plan.entry} --executor slurm\` follows them again without resubmitting, \`scancel ${left.join(" ")}\` stops them`);
    }
    return finish("interrupted");
  }
  return finish(failed > 0 || [...jobs.values()].some((t) => t.end?.kind !== "ok") ? "failed" : "ok");

  /** Without --keep-going, a failure stops what has not started, as a local run does. */
  async function stopPending(culprit: string): Promise<void> {
    const waiting = [...jobs.values()].filter((t) => !t.end && !t.started && t.state === "PENDING");
    await opts.slurm.cancel(waiting.map((t) => t.jobId));
    for (const t of waiting) skip(t, `stopped after ${culprit} failed (--keep-going runs the rest)`);
  }

  function skip(t: Tracked, reason: string): void {
    if (t.end) return;
    t.end = { kind: "skipped", reason };
    entries.set(t.unit.node.name, { node: t.unit.node.name, fingerprint: t.unit.node.fingerprint, action: "skipped" });
    opts.emit({ type: "node-skipped", node: t.unit.node.name, reason });
  }

  /** The jobs that wait, directly or not, for the job of `id`. */
  function downstream(id: NodeId): Tracked[] {
    const out = new Set<Tracked>();
    const stack = [id];
    while (stack.length) {
      const x = stack.pop()!;
      for (const t of jobs.values()) if (t.unit.deps.includes(x) && !out.has(t)) {
        out.add(t);
        stack.push(t.unit.node.id);
      }
    }
    return [...out];
  }

  function tracked(unit: (typeof units)[number], jobId: string, state: string, reason: string): Tracked {
    return { unit, jobId, log: logPath(store, unit.jobName, jobId), state, reason, started: state === "RUNNING" };
  }

  function result(status: RunResult["status"], detached = false): SlurmRunResult {
    const list = [...jobs.values()].map((t) => ({ node: t.unit.node.name, jobId: t.jobId, log: t.log }));
    return { runId, status, ran, restored, failed, submitted, adopted, detached, jobs: list };
  }

  async function finish(status: RunResult["status"]): Promise<SlurmRunResult> {
    await save(status);
    opts.emit({ type: "finish", runId, status, ran, restored, failed, seconds: (Date.now() - started) / 1000 });
    return result(status);
  }
}

/** A job reports `/abs/dir/p.sc:12`; the user ran from `dir`, so say `p.sc:12`. */
function relativeWhere(where: string, dir: string): string {
  const m = /^(.*):(\d+)$/.exec(where);
  return m && path.isAbsolute(m[1]!) ? `${path.relative(dir, m[1]!)}:${m[2]}` : where;
}
