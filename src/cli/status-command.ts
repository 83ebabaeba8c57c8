import { logPath, readRecord } from "../../runtime/slurm/records.js";
import { describeResources } from "../../runtime/slurm/resources.js";
import { isActive, slurmCli } from "../../runtime/slurm/slurm.js";
import { priorJob } from "../../runtime/slurm/submit.js";
import { jobUnits } from "../../runtime/slurm/units.js";
import type { Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { openSession, planFor } from "./session.js";

type State = "cached" | "queued" | "running" | "done" | "failed" | "cancelled" | "not submitted" | "skipped" | "blocked" | "source";

interface Row {
  readonly name: string;
  readonly kind: "data" | "stage";
  readonly state: State;
  readonly jobId?: string;
  readonly detail?: string;
  readonly log?: string;
  readonly resources?: string;
}

const MARK: Record<State, string> = {
  cached: "✓", done: "✓", queued: "…", running: "▶", failed: "✗", cancelled: "-", "not submitted": "·", skipped: "-", blocked: "✗", source: "·",
};
const COLOR: Partial<Record<State, string>> = { cached: "32", done: "32", running: "33", failed: "31", blocked: "31", cancelled: "2", skipped: "2" };

/**
 * `stagecraft status FILE`: reattaches to a pipeline's Slurm jobs. Plans as `run --executor slurm`
 * would, finds each node's job by name (queued, running or finished; Slurm keeps finished jobs for
 * MinJobAge) or its completion record, and prints one line per node. Changes nothing.
 */
export async function runStatus(a: Args, io: CliIO, color: boolean): Promise<number> {
  const file = a.positional[0];
  if (!file) {
    io.stderr("stagecraft status: no pipeline file given\n");
    return EXIT.usage;
  }
  const s = await openSession(file, a, io, color, { command: "status", needs: "read" });
  if (typeof s === "number") return s;
  const values = new Map(a.values);
  values.set("--executor", ["slurm"]);
  const plan = await planFor(s, { ...a, values });
  const slurm = slurmCli(io.env);
  let queue;
  try {
    queue = await slurm.queue();
  } catch (e: unknown) {
    io.stderr(`stagecraft status: cannot reach Slurm: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.errors;
  }
  const units = new Map(jobUnits(plan, s.ir).map((u) => [u.node.id, u]));
  const inside = new Map<string, string>();
  for (const u of units.values()) for (const d of u.inner) inside.set(d, u.node.name);
  const rows: Row[] = [];
  for (const pn of plan.nodes) {
    const base = { name: pn.name, kind: pn.kind };
    const unit = units.get(pn.id);
    if (!unit) {
      const st: State = pn.status === "run" ? "not submitted" : pn.status;
      const detail = pn.status === "run" && inside.has(pn.name) ? `runs in the job of ${inside.get(pn.name)}` : pn.status === "cached" ? undefined : pn.reasons[0];
      if (pn.kind === "stage" || a.flags.has("--all") || pn.status === "blocked") rows.push({ ...base, state: st, ...(detail ? { detail } : {}) });
      continue;
    }
    const resources = describeResources(unit.resources);
    const job = priorJob(queue, unit, s.store);
    const record = await readRecord(s.store, pn.fingerprint);
    const withRes = resources ? { resources } : {};
    if (!job) {
      if (record && !record.ok) rows.push({ ...base, ...withRes, state: "failed", jobId: record.jobId, detail: record.error ?? "failed", log: logPath(s.store, unit.jobName, record.jobId) });
      else rows.push({ ...base, ...withRes, state: "not submitted", detail: `will run: ${pn.reasons[0] ?? "?"}` });
      continue;
    }
    const log = logPath(s.store, unit.jobName, job.id);
    const ids = { jobId: job.id, log, ...withRes };
    if (isActive(job.state)) {
      const running = job.state === "RUNNING" || job.state === "COMPLETING";
      rows.push({ ...base, ...ids, state: running ? "running" : "queued", ...(running ? {} : { detail: job.reason }) });
    } else if (job.state === "COMPLETED") {
      rows.push({ ...base, ...ids, state: record?.ok === false ? "failed" : "done", ...(record?.error ? { detail: record.error } : {}) });
    } else if (job.state === "CANCELLED" && !record) {
      rows.push({ ...base, ...ids, state: "cancelled", detail: job.reason === "DependencyNeverSatisfied" ? "an upstream job failed" : `cancelled (${job.reason})` });
    } else {
      const d = await slurm.show(job.id);
      const exit = d?.exitCode !== undefined ? `exit ${d.exitCode}` : "";
      const why = [job.state.toLowerCase(), job.reason !== "None" ? job.reason : "", exit].filter(Boolean).join(", ");
      rows.push({ ...base, ...ids, state: "failed", detail: record?.error ? `${record.error} (${why})` : why });
    }
  }
  if (a.flags.has("--json")) io.stdout(`${JSON.stringify({ pipeline: plan.pipeline, entry: plan.entry, nodes: rows }, null, 2)}\n`);
  else io.stdout(render(plan.entry, plan.pipeline, rows, color));
  return rows.some((r) => r.state === "failed" || r.state === "blocked") ? EXIT.errors : EXIT.ok;
}

function render(entry: string, pipeline: string, rows: readonly Row[], color: boolean): string {
  const paint = (st: State, s: string) => (color && COLOR[st] ? `\x1b[${COLOR[st]}m${s}\x1b[0m` : s);
  const width = Math.min(32, Math.max(8, ...rows.map((r) => r.name.length)));
  const lines = [`status of ${entry} (pipeline ${pipeline}) on Slurm`];
  for (const r of rows) {
    const name = r.name.length > width ? `${r.name.slice(0, width - 1)}…` : r.name.padEnd(width);
    const job = r.jobId ? `job ${r.jobId}` : "";
    const detail = [r.detail?.replace(/\s*\n\s*/g, " / "), r.resources].filter(Boolean).join("; ");
    lines.push(`${paint(r.state, `${MARK[r.state]} ${r.state.padEnd(13)}`)} ${name} ${job.padEnd(10)} ${detail}`.trimEnd());
    if (r.log && (r.state === "failed" || r.state === "running")) lines.push(`    log: ${r.log}`);
  }
  const count = (st: State) => rows.filter((r) => r.state === st).length;
  const parts = (["running", "queued", "done", "failed", "cancelled", "cached", "not submitted"] as const).filter((st) => count(st)).map((st) => `${count(st)} ${st}`);
  lines.push("", parts.join(", ") || "nothing to show");
  return `${lines.join("\n")}\n`;
}
