import { mkdir, mkdtemp, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { type AttemptLogs, INTERRUPTED_ERROR, type NodeManifest, type RunNode, type RunRecord, newRunId, pipelineOf } from "../src/cache/manifest.js";
import { type Digest, digestFile } from "../src/cache/digest.js";
import { markWriting, settleDeadJournals } from "../src/cache/inflight.js";
import { recordMade } from "../src/cache/made.js";
import type { Store } from "../src/cache/store.js";
import type { Ir, IrNode, NodeId } from "../src/ir/ir.js";
import type { Plan, PlannedNode } from "../src/plan/plan.js";
import { mapLimit } from "../src/plan/map-limit.js";
import { BACKEND_KINDS } from "../src/plan/versions.js";
import type { RunEvent } from "./events.js";
import { FailedWithLogs, type LogFiles, type NodeOutcome, type NodeRunner, type RunnerContext } from "./runner.js";
import { type DigestOf, declaredOutputs, keepBeforeRunning, keptMessage, OutputInTheWay, outputPath, restoreOutputs } from "./outputs.js";
import { RUNNERS } from "./runners/index.js";

export interface RunOptions {
  readonly jobs: number;
  readonly keepGoing: boolean;
  readonly signal: AbortSignal;
  readonly backend: string;
  readonly emit: (e: RunEvent) => void;
  readonly runners?: Readonly<Record<string, NodeRunner>>;
  /** A file's digest, through the stat cache where the caller has one (default: read and hash it). */
  readonly digest?: DigestOf;
}

export interface RunResult {
  readonly runId: string;
  readonly status: "ok" | "failed" | "interrupted";
  readonly ran: number;
  readonly restored: number;
  readonly failed: number;
}

type Done = "ok" | "failed" | "unavailable";

/** Where in the pipeline file a node comes from, for error messages: "pipeline.sc:12". */
function whereOf(ir: Ir, node: IrNode, sourceOf: (file: string) => string | undefined): string {
  const text = sourceOf(node.span.file) ?? "";
  const line = text.slice(0, node.span.start).split("\n").length;
  return `${node.span.file}:${line}`;
}

/**
 * Executes a plan: cached results are restored, the rest run in dependency order, independent
 * nodes in parallel up to `jobs`. Every result is captured into the store and its manifest written
 * last, so a kill at any moment leaves the cache consistent and the next run resumes.
 */
export async function execute(plan: Plan, ir: Ir, store: Store, opts: RunOptions, sourceOf: (file: string) => string | undefined): Promise<RunResult> {
  const runners = opts.runners ?? RUNNERS;
  const digest = opts.digest ?? digestFile;
  const started = Date.now();
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const entries = new Map<string, RunNode>();
  const record = (status: RunRecord["status"]): RunRecord => ({
    version: 1, id: runId, ...pipelineOf(store.root, plan.entry), startedAt, status, nodes: [...entries.values()],
    ...(status !== "running" ? { finishedAt: new Date().toISOString() } : {}),
  });
  let lastWrite = 0;
  const saveRecord = async (status: RunRecord["status"], force = false) => {
    if (!force && Date.now() - lastWrite < 500) return;
    lastWrite = Date.now();
    await store.writeRun(record(status));
  };
  await saveRecord("running", true);
  const toRun = plan.nodes.filter((n) => n.status === "run");
  // What training steps will run on, said up front when any will run (the plan's header says it too).
  const trains = toRun.some((n) => BACKEND_KINDS.has(n.op));
  const backend = trains ? `${plan.backend}${plan.backendDetail ? `, ${plan.backendDetail}` : ""}` : undefined;
  opts.emit({ type: "start", runId, nodes: plan.nodes.length, toRun: toRun.length, ...(backend ? { backend } : {}) });

  const outputs = new Map<NodeId, Map<string, string>>();
  const done = new Map<NodeId, Done>();
  let ran = 0;
  let restored = 0;
  let failed = 0;
  let stopping = false;
  /**
   * Cached results handed to the nodes that run by path, not copied out: the plan checked their size
   * only, so each is re-hashed once before a node reads it, and a damaged one fails that node.
   */
  const unverified = new Map<NodeId, Digest[]>();
  /** What this run left at each command output (absolute path → digest), for made.ts. */
  const made = new Map<string, Digest>();

  // Cached results: their outputs feed what runs; a command's declared outputs are put back in place.
  // Served several at a time (each is a few file system calls, and a large pipeline has thousands),
  // then taken in plan order, so what is said comes in the same order every time.
  const cached = plan.nodes.filter((pn) => pn.status === "cached");
  const served = await mapLimit(cached, SERVE_AT_ONCE, (pn) => serveCached(store, pn, ir.nodes.get(pn.id)!, digest));
  const servedBy = new Map(cached.map((pn, i) => [pn.id, served[i]!] as const));
  for (const pn of plan.nodes) {
    const s = servedBy.get(pn.id);
    if (pn.status === "source") done.set(pn.id, "ok");
    else if (s) {
      for (const w of s.warnings) opts.emit({ type: "warning", node: pn.name, message: w });
      if (s.kind === "rerun") {
        // Like a miss: the command runs again (what reads it waits for it, as for any node that runs).
        toRun.push(pn);
        continue;
      }
      if (s.kind === "failed") {
        // A result that cannot be served fails its node, with the reason, like a command that fails:
        // never a crash, and never a silent skip of everything downstream.
        done.set(pn.id, "failed");
        failed++;
        entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "failed", error: s.error });
        opts.emit({ type: "node-failed", node: pn.name, op: pn.op, error: s.error, where: whereOf(ir, ir.nodes.get(pn.id)!, sourceOf) });
        if (!opts.keepGoing) stopping = true;
        continue;
      }
      const m = s.manifest;
      if (pn.op === "command") for (const o of m.outputs) made.set(outputPath(ir.nodes.get(pn.id)!, o.name), o.digest);
      outputs.set(pn.id, new Map(m.outputs.map((o) => [o.name, store.objectPath(o.digest)])));
      if (pn.op !== "command") unverified.set(pn.id, m.outputs.map((o) => o.digest));
      done.set(pn.id, "ok");
      entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "restored" });
      restored++;
      // Every restore is an event (tools count them); the text shows those with a result worth a
      // line again (an eval's accuracy, a training stage's final loss).
      opts.emit({ type: "node-done", node: pn.name, op: pn.op, action: "restored", seconds: 0, ...(m.summary ? { detail: m.summary } : {}) });
    } else if (pn.status === "blocked") {
      // Only under --keep-going does a run start with blocked nodes: each fails with its reason.
      done.set(pn.id, "unavailable");
      failed++;
      const error = `blocked: ${pn.reasons[0] ?? "see plan"}`;
      entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "failed", error, record: pn.record });
      opts.emit({ type: "node-failed", node: pn.name, op: pn.op, error, where: whereOf(ir, ir.nodes.get(pn.id)!, sourceOf) });
    } else if (pn.status !== "run") done.set(pn.id, "unavailable");
  }

  const pending = new Map<NodeId, PlannedNode>(toRun.map((n) => [n.id, n]));
  const running = new Map<NodeId, Promise<void>>();
  const depsOf = (id: NodeId) => {
    const n = ir.nodes.get(id)!;
    return [...n.inputs, ...n.after];
  };

  const runOne = async (pn: PlannedNode): Promise<void> => {
    const node = ir.nodes.get(pn.id)!;
    const t0 = Date.now();
    opts.emit({ type: "node-start", node: pn.name, op: pn.op });
    const runner = runners[pn.op];
    const scratchRoot = path.join(store.root, "tmp");
    await mkdir(scratchRoot, { recursive: true });
    const scratch = await mkdtemp(path.join(scratchRoot, "node-"));
    // Stable across attempts (a killed run's next attempt finds the checkpoints here); not in tmp/,
    // which gc clears. Removed once the result is committed.
    const work = path.join(store.root, "work", pn.fingerprint);
    let committed = false;
    let release: (() => Promise<void>) | undefined;
    try {
      await mkdir(work, { recursive: true });
      if (!runner) throw new Error(`'${pn.op}' ${node.kind === "stage" ? "stages" : "transforms"} need the training runtime, which this version does not have yet`);
      for (const id of node.inputs) {
        for (const d of unverified.get(id) ?? []) {
          const check = await store.verifyObject(d);
          if (!check.ok) throw new Error(`the cached result of ${ir.nodes.get(id)?.name ?? id} is damaged: ${check.detail} (\`stagecraft cache verify\` lists what is damaged)`);
        }
        unverified.delete(id);
      }
      if (node.op === "command") {
        // What its outputs hold that no run made is kept before the command removes them, and the
        // outputs are journalled while it may be writing them (see outputs.ts, src/cache/inflight.ts).
        for (const w of await keepBeforeRunning(store, node, digest)) opts.emit({ type: "warning", node: pn.name, message: w });
        release = await markWriting(store.root, declaredOutputs(node));
      }
      const ctx: RunnerContext = {
        ir, store, cwd: path.dirname(node.span.file), scratch, work, signal: opts.signal, backend: opts.backend, fingerprint: pn.fingerprint,
        outputs: (id) => outputs.get(id) ?? new Map(),
        emit: opts.emit,
      };
      const outcome = await runner.run(node, ctx);
      if (opts.signal.aborted) throw new Error("interrupted");
      const moved = await changedFile(pn, ir, digest);
      if (moved) throw new Error(`input ${moved} changed while ${pn.name} ran (or since the plan); its result was not kept, since it may have been made from either version: run again`);
      const manifest = await capture(store, pn, outcome, runId, new Date(t0).toISOString(), opts.backend);
      if (node.op === "command") for (const o of manifest.outputs) made.set(outputPath(node, o.name), o.digest);
      committed = true;
      outputs.set(pn.id, new Map(manifest.outputs.map((o) => [o.name, store.objectPath(o.digest)])));
      for (const w of outcome.warnings ?? []) opts.emit({ type: "warning", node: pn.name, message: w });
      done.set(pn.id, "ok");
      ran++;
      const seconds = (Date.now() - t0) / 1000;
      entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "ran", seconds });
      opts.emit({ type: "node-done", node: pn.name, op: pn.op, action: "ran", seconds, ...(outcome.summary ? { detail: outcome.summary } : {}) });
    } catch (err: unknown) {
      const message = err instanceof Error ? err.message : String(err);
      done.set(pn.id, "failed");
      if (!opts.signal.aborted) {
        failed++;
        // A failure's logs are kept in full (the message has only their tail), named by the run record.
        const logs = err instanceof FailedWithLogs ? await keepFailedLogs(store, err.logFiles) : undefined;
        entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "failed", error: message, record: pn.record, ...(logs ? { logs } : {}) });
        opts.emit({ type: "node-failed", node: pn.name, op: pn.op, error: message, where: whereOf(ir, node, sourceOf) });
        if (!opts.keepGoing) stopping = true;
      } else {
        // Stopped while it ran: the record says so, and the next plan says it was cut short.
        entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "failed", error: INTERRUPTED_ERROR, record: pn.record });
      }
    } finally {
      await release?.();
      await rm(scratch, { recursive: true, force: true });
      // Kept after a failure or interrupt (the next attempt resumes from it), unless it is empty.
      if (committed) await rm(work, { recursive: true, force: true });
      else await rmdir(work).catch(() => undefined);
      await saveRecord("running");
    }
  };

  while ((pending.size || running.size) && !opts.signal.aborted) {
    if (!stopping) {
      for (const [id, pn] of pending) {
        if (running.size >= opts.jobs) break;
        const deps = depsOf(id).map((d) => done.get(d));
        if (deps.some((d) => d === "failed" || d === "unavailable")) {
          pending.delete(id);
          done.set(id, "unavailable");
          const bad = depsOf(id).map((d) => ir.nodes.get(d)!).find((d) => done.get(d.id) !== "ok");
          opts.emit({ type: "node-skipped", node: pn.name, reason: `upstream ${bad?.name ?? "?"} did not finish` });
          entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "skipped" });
          continue;
        }
        if (deps.every((d) => d === "ok")) {
          pending.delete(id);
          const p = runOne(pn).finally(() => running.delete(id));
          running.set(id, p);
        }
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await Promise.allSettled(running.values());
  // Stopped at a failure (no --keep-going): what never started is said, and recorded, as skipped.
  if (stopping && !opts.signal.aborted) {
    for (const [id, pn] of pending) {
      const bad = depsOf(id).map((d) => ir.nodes.get(d)!).find((d) => done.get(d.id) === "failed" || done.get(d.id) === "unavailable");
      done.set(id, "unavailable");
      const reason = bad ? `upstream ${bad.name} did not finish` : "not started: the run stopped at a failure (--keep-going runs what does not depend on it)";
      opts.emit({ type: "node-skipped", node: pn.name, reason });
      entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "skipped" });
    }
  }
  // Anything still pending that no failure explains waits on something that can never finish (a
  // cycle the plan should have refused): it is never passed over as if the run had succeeded.
  if (!stopping && !opts.signal.aborted) {
    for (const pn of pending.values()) {
      failed++;
      const message = "never started: it waits on a stage that can never finish (a cycle between stages)";
      entries.set(pn.name, { node: pn.name, fingerprint: pn.fingerprint, action: "failed", error: message, record: pn.record });
      opts.emit({ type: "node-failed", node: pn.name, op: pn.op, error: message, where: whereOf(ir, ir.nodes.get(pn.id)!, sourceOf) });
    }
  }
  const status = opts.signal.aborted ? "interrupted" : failed > 0 || (pending.size > 0 && stopping) ? "failed" : "ok";
  await saveRecord(status, true);
  // What killed runs left half-written is settled wherever this run ran or restored the command.
  const settled = plan.nodes.filter((pn) => pn.op === "command" && (entries.get(pn.name)?.action === "ran" || entries.get(pn.name)?.action === "restored"));
  await settleDeadJournals(store.root, new Set(settled.flatMap((pn) => declaredOutputs(ir.nodes.get(pn.id)!)))).catch(() => undefined);
  await recordMade(store.root, made).catch(() => undefined);
  opts.emit({ type: "finish", runId, status, ran, restored, failed, seconds: (Date.now() - started) / 1000 });
  return { runId, status, ran, restored, failed };
}

/** Puts a node's outputs and logs into the store, then commits its manifest (last, so it is never half there). */
async function capture(store: Store, pn: PlannedNode, o: NodeOutcome, runId: string, startedAt: string, backend: string): Promise<NodeManifest> {
  const outs = [];
  for (const f of o.outputs) {
    const st = await stat(f.path).catch(() => undefined);
    if (st?.isDirectory()) throw new Error(`declared output ${f.name} is a directory: outputs are files (declare the files in it)`);
    if (!st?.isFile()) throw new Error(`declared output ${f.name} was not written`);
    outs.push({ name: f.name, digest: await store.putFile(f.path), size: st.size });
  }
  const logs = {
    ...(o.stdout ? { stdout: await store.putBytes(o.stdout) } : {}),
    ...(o.stderr ? { stderr: await store.putBytes(o.stderr) } : {}),
    ...(o.logFiles ? await putLogFiles(store, o.logFiles) : {}),
  };
  const manifest: NodeManifest = {
    version: 1, fingerprint: pn.fingerprint, node: pn.name, kind: pn.op, outputs: outs, record: pn.record, runId,
    startedAt, finishedAt: new Date().toISOString(),
    ...(pn.record.backend !== undefined ? { backend } : {}),
    ...(o.metrics ? { metrics: await store.putBytes(o.metrics) } : {}),
    ...(logs.stdout || logs.stderr ? { logs } : {}),
    ...(o.summary ? { summary: o.summary } : {}),
  };
  await store.writeManifest(manifest);
  return manifest;
}

/** Copies log files into the store, streaming; an empty or missing one is left out, as an empty log is. */
async function putLogFiles(store: Store, files: LogFiles): Promise<AttemptLogs> {
  const out: { stdout?: Digest; stderr?: Digest } = {};
  for (const k of ["stdout", "stderr"] as const) {
    const file = files[k];
    const st = file ? await stat(file).catch(() => undefined) : undefined;
    if (file && st?.isFile() && st.size > 0) out[k] = await store.putFile(file);
  }
  return out;
}

/** The logs of a failed attempt in the store; failing to keep them (a full disk) must not hide the failure itself. */
async function keepFailedLogs(store: Store, files: LogFiles): Promise<AttemptLogs | undefined> {
  try {
    const logs = await putLogFiles(store, files);
    return logs.stdout || logs.stderr ? logs : undefined;
  } catch {
    return undefined;
  }
}

/** How many cached results are served at once. */
const SERVE_AT_ONCE = 16;

/** A cached result served, to run again (an output could not be put back), or failed; with warnings to show. */
type Served =
  | { readonly kind: "ok"; readonly manifest: NodeManifest; readonly warnings: readonly string[] }
  | { readonly kind: "rerun"; readonly warnings: readonly string[] }
  | { readonly kind: "failed"; readonly error: string; readonly warnings: readonly string[] };

/**
 * A file the node's fingerprint holds (its own, or one a data source it reads holds) whose content is
 * no longer what the plan digested: a result made while it changed must not be kept under the old
 * fingerprint. Undefined when all are as planned; a file that cannot be read now is left to the
 * next plan to say.
 */
async function changedFile(pn: PlannedNode, ir: Ir, digest: DigestOf): Promise<string | undefined> {
  const base = path.dirname(ir.entry);
  const files = [pn.record.files, ...Object.values(pn.record.sources ?? {}).map((s) => s.files)];
  for (const f of files) {
    for (const [rel, planned] of Object.entries(f)) {
      const now = await digest(path.resolve(base, rel)).catch(() => undefined);
      if (now !== undefined && now !== planned) return rel;
    }
  }
  return undefined;
}

/**
 * A cached node's result, checked present and of the recorded size (so a damaged result is never
 * handed to the next stage), with a command's declared output files put back where the pipeline
 * expects them (see outputs.ts).
 */
async function serveCached(store: Store, pn: PlannedNode, node: IrNode, digest: DigestOf): Promise<Served> {
  const read = await store.readManifest(pn.fingerprint, { remembered: true });
  const damaged = (problem: string) => `${problem} (\`stagecraft cache verify\` lists what is damaged)`;
  if (!read.ok) return { kind: "failed", error: damaged(`its cached result cannot be used: ${read.detail}`), warnings: [] };
  const m = read.manifest;
  if (pn.op !== "command") return { kind: "ok", manifest: m, warnings: [] };
  try {
    const r = await restoreOutputs(store, m.outputs, node, digest);
    if (r.ok) return { kind: "ok", manifest: m, warnings: r.kept.map((k) => keptMessage(k.output, k.as, "and put the cached result back")) };
    // A damaged object is removed (it can never be served), so the rerun's output takes its place.
    const o = m.outputs.find((x) => x.name === r.output);
    if (r.reason === "corrupt" && o) await store.deleteObject(o.digest);
    const why = `cached output ${r.output} ${r.reason === "corrupt" ? "was damaged and has been removed" : "is gone"} (${r.detail})`;
    return { kind: "rerun", warnings: [`${why}: running it again`] };
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: "failed", error: err instanceof OutputInTheWay ? message : damaged(message), warnings: [] };
  }
}
