import { hostname } from "node:os";
import type { RunEvent } from "../../runtime/events.js";
import { execute } from "../../runtime/executor.js";
import { type CompletionRecord, writeRecord } from "../../runtime/slurm/records.js";
import type { PlannedNode } from "../plan/plan.js";
import { first, type Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { renderEvent } from "./run-command.js";
import { openSession, planFor, saveStats, type Session } from "./session.js";

/**
 * `stagecraft job FILE NODE --cache-dir DIR`: the body of one Slurm job. Runs NODE (a stage name, or
 * a data node's id) and the transforms feeding it, as `run --only NODE` would, but without the run
 * lock: the submitter holds it, and concurrent jobs writing the content-addressed store is safe.
 * Ends by writing a completion record, which the submitter reads instead of accounting.
 */
export async function runJob(a: Args, io: CliIO, color: boolean): Promise<number> {
  const [file, nodeArg] = a.positional;
  if (!file || !nodeArg) {
    io.stderr("stagecraft job: usage: stagecraft job FILE NODE --cache-dir DIR [--fingerprint FP]\n");
    return EXIT.usage;
  }
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const s = await openSession(file, a, io, color, { command: "job", needs: "write" });
  if (typeof s === "number") return s;
  const id = s.ir.stages.get(nodeArg) ?? (s.ir.nodes.has(nodeArg as never) ? nodeArg : undefined);
  if (!id) {
    io.stderr(`stagecraft job: no stage or node named '${nodeArg}' in ${file}\n`);
    return EXIT.usage;
  }
  const expected = first(a, "--fingerprint");
  const values = new Map(a.values);
  values.set("--only", [nodeArg]);
  const plan = await planFor(s, { ...a, values });
  const pn = plan.nodes.find((n) => n.id === id)!;
  const ran: CompletionRecord["ran"][number][] = [];
  const finish = async (ok: boolean, exitStatus: number, error?: string, where?: string): Promise<number> => {
    const fingerprint = expected ?? pn.fingerprint;
    await writeRecord(s.store, {
      version: 1, fingerprint, node: pn.name, jobId: io.env["SLURM_JOB_ID"] ?? "local", ok, exitStatus,
      ...(error !== undefined ? { error } : {}), ...(where !== undefined ? { where } : {}),
      startedAt, finishedAt: new Date().toISOString(), seconds: (Date.now() - t0) / 1000, ran, host: hostname(),
    });
    if (error) io.stderr(`stagecraft job: ${pn.name}: ${error}\n`);
    return exitStatus;
  };
  if (expected && expected !== pn.fingerprint) {
    return finish(false, EXIT.errors, `the pipeline or its inputs changed since this job was submitted (fingerprint ${short(pn.fingerprint)}, submitted as ${short(expected)}); run again to resubmit`, whereOf(s, pn));
  }
  const blocked = plan.nodes.find((n) => n.status === "blocked");
  if (blocked) return finish(false, EXIT.errors, `${blocked.name} is blocked: ${blocked.reasons[0] ?? "?"}`, whereOf(s, blocked));
  if (pn.status !== "run" && pn.status !== "cached") return finish(false, EXIT.errors, `cannot run here: ${pn.reasons[0] ?? pn.status}`, whereOf(s, pn));
  let failure: { error: string; where?: string } | undefined;
  const result = await execute(plan, s.ir, s.store, {
    jobs: Number(first(a, "--jobs") ?? 1) || 1,
    keepGoing: false,
    signal: io.signal ?? new AbortController().signal,
    backend: s.backend,
    // Through the stat cache, as a local run: a file the plan just digested is not read again.
    digest: async (f) => (await s.stats.digest(f)).digest,
    emit: (e: RunEvent) => {
      if (e.type === "node-done" && e.action === "ran") ran.push({ node: e.node, op: e.op, seconds: e.seconds });
      if (e.type === "node-failed" && !failure) failure = { error: e.error, ...(e.where ? { where: e.where } : {}) };
      if (e.type === "node-skipped" && !failure) failure = { error: `not run: ${e.reason}` };
      const line = renderEvent(e, false);
      if (line !== undefined) io.stderr(`${line}\n`);
    },
  }, (f) => s.sources.get(f));
  await saveStats(s);
  if (result.status === "interrupted") return finish(false, 130, "interrupted (the job was cancelled or timed out)", whereOf(s, pn));
  const m = await s.store.readManifest(pn.fingerprint, { verify: false });
  if (result.status === "ok" && m.ok) return finish(true, EXIT.ok);
  return finish(false, EXIT.errors, failure?.error ?? `${pn.name} left no result in the cache`, failure?.where ?? whereOf(s, pn));
}

const short = (fp: string) => fp.replace(/^sha256:/, "").slice(0, 12);

function whereOf(s: Session, n: PlannedNode): string {
  const text = s.sources.get(n.span.file) ?? "";
  return `${n.span.file}:${text.slice(0, n.span.start).split("\n").length}`;
}
