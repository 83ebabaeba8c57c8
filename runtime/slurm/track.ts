import { setTimeout as sleep } from "node:timers/promises";
import type { Store } from "../../src/cache/store.js";
import { type CompletionRecord, listRecords, readRecord, recordKey } from "./records.js";
import { isActive, type Slurm } from "./slurm.js";
import type { Unit } from "./units.js";

/** A submitted (or adopted) job and what is known of it. */
export interface Tracked {
  readonly unit: Unit;
  readonly jobId: string;
  readonly log: string;
  state: string;
  reason: string;
  started: boolean;
  /** Set once, when the job's outcome is known. */
  end?: Outcome;
  /** When Slurm first said COMPLETED without a record being visible (a shared filesystem may lag). */
  completedSeen?: number;
}

export type Outcome =
  | { readonly kind: "ok"; readonly record: CompletionRecord | undefined }
  | { readonly kind: "failed"; readonly error: string; readonly record: CompletionRecord | undefined }
  | { readonly kind: "skipped"; readonly reason: string };

export interface Polling {
  /** How often completion records are looked for (a directory listing: cheap). */
  readonly recordMs: number;
  /** The first and longest wait between `squeue` calls; each quiet poll waits `factor` times longer. */
  readonly queueMinMs: number;
  readonly queueMaxMs: number;
  readonly factor: number;
  /** How long a COMPLETED job may go without a visible record before it counts as failed. */
  readonly graceMs: number;
}

export const DEFAULT_POLLING: Polling = { recordMs: 200, queueMinMs: 200, queueMaxMs: 5000, factor: 1.5, graceMs: 5000 };

export interface TrackHooks {
  started(t: Tracked): void;
  settled(t: Tracked): void;
  /** Whether the result is in the cache (a job Slurm forgot, or one that wrote no record). */
  cached(t: Tracked): Promise<boolean>;
}

/**
 * Follows jobs to their end without accounting: completion records in the shared cache (looked for
 * every `recordMs`), and `squeue --states=all` (fast at first, backing off while nothing changes,
 * fast again after any change), with `scontrol show job` for the exit code of a failed job.
 */
export async function track(jobs: readonly Tracked[], store: Store, slurm: Slurm, hooks: TrackHooks, signal: AbortSignal, p: Polling = DEFAULT_POLLING): Promise<void> {
  const open = () => jobs.filter((t) => !t.end);
  let queueWait = p.queueMinMs;
  let nextQueue = 0;
  const settle = (t: Tracked, end: Outcome) => {
    if (t.end) return;
    if (!t.started && end.kind !== "skipped") {
      t.started = true;
      hooks.started(t);
    }
    t.end = end;
    hooks.settled(t);
  };
  const fromRecord = (t: Tracked, r: CompletionRecord) =>
    settle(t, r.ok ? { kind: "ok", record: r } : { kind: "failed", error: r.error ?? `exit status ${r.exitStatus}`, record: r });
  while (open().length && !signal.aborted) {
    // Records first: a job's record appears before Slurm notices the job has ended.
    const keys = await listRecords(store);
    for (const t of open()) {
      if (!keys.has(recordKey(t.unit.node.fingerprint))) continue;
      const r = await readRecord(store, t.unit.node.fingerprint);
      if (r && r.jobId === t.jobId) fromRecord(t, r);
    }
    if (Date.now() >= nextQueue && open().length) {
      let changed = false;
      const listed = await slurm.queue().catch(() => undefined);
      const queue = new Map(listed?.map((j) => [j.id, j]) ?? []);
      for (const t of open()) {
        const j = queue.get(t.jobId);
        if (listed && !j) {
          // Gone from Slurm's memory (MinJobAge passed, or the controller restarted).
          const r = await readRecord(store, t.unit.node.fingerprint);
          if (r && r.jobId === t.jobId) fromRecord(t, r);
          else if (await hooks.cached(t)) settle(t, { kind: "ok", record: undefined });
          else settle(t, { kind: "failed", error: `Slurm no longer knows job ${t.jobId}, and it left no completion record`, record: undefined });
          changed = true;
          continue;
        }
        if (!j) continue;
        if (j.state !== t.state || j.reason !== t.reason) changed = true;
        t.state = j.state;
        t.reason = j.reason;
        if (t.state === "RUNNING" && !t.started) {
          t.started = true;
          hooks.started(t);
        }
        if (t.reason === "DependencyNeverSatisfied" && isActive(t.state)) {
          // Submitted without --kill-on-invalid-dep (an older run's job): it would wait forever.
          await slurm.cancel([t.jobId]);
          settle(t, { kind: "skipped", reason: "an upstream job failed" });
        } else if (!isActive(t.state)) await ended(t);
      }
      queueWait = changed ? p.queueMinMs : Math.min(p.queueMaxMs, queueWait * p.factor);
      nextQueue = Date.now() + queueWait;
    }
    if (!open().length) break;
    await sleep(p.recordMs, undefined, { signal }).catch(() => undefined);
  }

  async function ended(t: Tracked): Promise<void> {
    const r = await readRecord(store, t.unit.node.fingerprint);
    if (r && r.jobId === t.jobId) return fromRecord(t, r);
    if (t.state === "CANCELLED" && t.reason === "DependencyNeverSatisfied") return settle(t, { kind: "skipped", reason: "an upstream job failed" });
    if (t.state === "COMPLETED") {
      if (await hooks.cached(t)) return settle(t, { kind: "ok", record: undefined });
      t.completedSeen ??= Date.now();
      if (Date.now() - t.completedSeen < p.graceMs) return;
      return settle(t, { kind: "failed", error: "the job completed but left neither a result nor a completion record", record: undefined });
    }
    const d = await slurm.show(t.jobId);
    const exit = d?.exitCode !== undefined ? `, exit ${d.exitCode}${d.signal ? ` signal ${d.signal}` : ""}` : "";
    const why = t.reason && t.reason !== "None" ? ` (${t.reason})` : "";
    settle(t, { kind: "failed", error: `Slurm job ${t.state.toLowerCase()}${why}${exit}`, record: undefined });
  }
}
