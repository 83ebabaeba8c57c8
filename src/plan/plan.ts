import path from "node:path";
import type { Span } from "../diagnostics/span.js";
import type { Canon, Ir, IrNode, NodeId } from "../ir/ir.js";
import { commandDir, samePath } from "../ir/paths.js";
import { obj } from "../ir/read.js";
import { sparkline } from "../ir/schedule.js";
import { CostModel, type Cost } from "./cost.js";
import { explainChange } from "./explain.js";
import { filesRead, fingerprintNode, staticPart, type FingerprintRecord, type SourceRecord } from "./fingerprint.js";
import { mapLimit } from "./map-limit.js";
import { defaultOf, inputDetails, remadeCause, type Remade, sourceParamsWithDefaults, withSources } from "./reason-context.js";
import { select, type Selection } from "./select.js";

export type Status = "cached" | "run" | "blocked" | "skipped" | "source";

/** What the plan reads from the outside world: file digests and the cache. No writes. */
export interface PlanEnv {
  /**
   * The content digest of a file (a directory's, of what it holds); undefined when it does not
   * exist, and why when it cannot be read (a FIFO or a device, no permission).
   */
  digestFile(path: string, opts?: { readonly fileOnly?: boolean }): Promise<string | { readonly problem: string } | undefined>;
  /** For each fingerprint: whether a complete, intact result is in the cache, and if not, why. */
  lookup(fingerprints: readonly string[]): Promise<readonly Lookup[]>;
  /** For each node name: the record its latest cached result was made with (explains a change), or the run it failed in. */
  previous(nodes: readonly string[]): Promise<readonly Previous[]>;
  /** Where a node that runs would run. */
  readonly executor: "local" | "slurm";
  /**
   * For a cached command: its declared outputs that are not as the cache has them, as notes ("out/a.txt
   * is missing: ..."). Optional: an environment without a working tree has nothing to say.
   */
  outputNotes?(fingerprint: string, node: IrNode): Promise<readonly string[]>;
  /** The record a cached result was made with, by its fingerprint (to say how an input differs). */
  recordOf?(fingerprint: string): Promise<FingerprintRecord | undefined>;
}

export type Lookup = { readonly ok: true } | { readonly ok: false; readonly reason: "missing" | "object-missing" | "corrupt"; readonly detail: string };
/**
 * A node's last result (its record, unless that manifest is gone), or the run it last failed in
 * (with what it was attempted with, when the run recorded it).
 */
export type Previous =
  | {
      readonly fingerprint: string;
      readonly record?: FingerprintRecord;
      /** Records of earlier results of the node, newer first, after `record`: the reason is the shortest diff among them. */
      readonly earlier?: readonly FingerprintRecord[];
    }
  | { readonly failedIn: string; readonly error: string; readonly fingerprint?: string; readonly record?: FingerprintRecord }
  | undefined;

export interface PlannedNode {
  readonly id: NodeId;
  readonly name: string;
  readonly kind: "data" | "stage";
  readonly op: string;
  readonly status: Status;
  /** The main reason, then every other. */
  readonly reasons: readonly string[];
  readonly fingerprint: string;
  readonly record: FingerprintRecord;
  readonly inputs: readonly string[];
  readonly where: "cache" | "local" | "slurm" | "none";
  readonly resources: Canon;
  readonly cost: Cost;
  readonly lr?: string;
  /** What the user should know beyond the status (a cached command's output edited since). */
  readonly notes?: readonly string[];
  readonly span: Span;
}

export interface Plan {
  readonly pipeline: string;
  readonly entry: string;
  readonly backend: string;
  /** Said about the backend beyond its name: "matrix products on OpenBLAS 0.3.21 (…)" for wasm. */
  readonly backendDetail?: string;
  readonly nodes: readonly PlannedNode[];
  readonly totals: { readonly run: number; readonly cached: number; readonly blocked: number; readonly skipped: number; readonly flops: number; readonly gpuHours: number };
}

export interface PlanOptions extends Selection {
  readonly backend: string;
  readonly backendDetail?: string;
  /** What the plan derives from the pipeline alone, when kept with the compiled pipeline (computed otherwise). */
  readonly statics?: PlanStatics;
}

const RUNNABLE_SOURCES = new Set(["synthetic"]);

/** Fingerprints every node in order, asks the cache about each, and says why each would run. */
export async function makePlan(ir: Ir, env: PlanEnv, opts: PlanOptions): Promise<Plan> {
  const selected = select(ir, opts);
  const nodes = ir.order.map((id) => ir.nodes.get(id)!);
  const statics = opts.statics ?? planStatics(ir);
  // 1. Digest every file any node reads, in parallel (a file is read once, whoever reads it).
  const reads = statics.reads;
  const paths = [...new Set([...reads.values()].flat())];
  const digests = new Map(paths.map((p, i) => [p, i] as const));
  // A data source must be a file: a directory there blocks it, where a command may read one.
  const sources = new Set(nodes.flatMap((n) => (n.op === "jsonl" ? (reads.get(n.id) ?? []) : [])));
  const digestList = await mapLimit(paths, 8, (p) => env.digestFile(p, sources.has(p) ? { fileOnly: true } : undefined));
  // 2. Fingerprints, in dependency order: each record holds its inputs' fingerprints.
  const fps = new Map<NodeId, string>();
  const sourceRecords = new Map<NodeId, SourceRecord>();
  const prints = nodes.map((node) => {
    const files: Record<string, string> = {};
    const missingFiles: string[] = [];
    for (const f of reads.get(node.id) ?? []) {
      const d = digestList[digests.get(f) ?? -1];
      if (typeof d === "string") files[f] = d;
      // A missing data source blocks; a missing script named in argv may be a program on PATH.
      else if (node.op === "jsonl" || isDeclaredInput(node, f)) missingFiles.push(d === undefined ? `input file ${f} does not exist` : `input file ${f} ${d.problem}`);
    }
    const json = statics.paramsJson.get(node.id);
    const fp = fingerprintNode(node, ir, fps, files, opts.backend, json === undefined ? undefined : { paramsJson: json });
    fps.set(node.id, fp.fingerprint);
    if (node.op === "jsonl") sourceRecords.set(node.id, { params: sourceParamsWithDefaults(fp.record.params, defaultOf(node)), files: fp.record.files });
    else withSources(fp.record, node, sourceRecords);
    return { record: fp.record, fingerprint: fp.fingerprint, missingFiles };
  });
  // 3. Ask the cache about every fingerprint at once, then for what each missing one ran with before.
  const found = await env.lookup(prints.map((p) => p.fingerprint));
  const forcedNames = opts.force === true ? undefined : new Set(Array.isArray(opts.force) ? opts.force : []);
  const isForced = (name: string): boolean => forcedNames === undefined || forcedNames.has(name);
  const missing = nodes.filter((n, i) => { const f = found[i]!; return !f.ok && f.reason === "missing" && !isForced(n.name); });
  const before = new Map(missing.map((n, i) => [n.id, i] as const));
  const previous = await env.previous(missing.map((n) => n.name));
  const inputChanges = await inputDetails(nodes, prints, previous, before, ir, env);
  // 4. Decide, in order: a node's status depends on its inputs' statuses.
  const status = new Map<NodeId, Status>();
  /** Skipped nodes that would be blocked if selected; what depends on them is blocked too. */
  const blockedOutside = new Set<NodeId>();
  /** Names of the nodes decided so far that will run, and that would outside the selection (an upstream rerun explains a change). */
  const runningNames = new Set<string>();
  const wouldRunNames = new Set<string>();
  /** Nodes that will run, with what their dependants that stay cached should say (the first cause, for a chain). */
  const remadeBecause = new Map<NodeId, string>();
  const cost = new CostModel(ir);
  const out: PlannedNode[] = [];
  /** The first of a node's inputs and predecessors that `test` holds for. */
  const upstreamWhere = (node: IrNode, test: (id: NodeId) => boolean): IrNode | undefined => {
    for (const x of node.inputs) if (test(x)) return ir.nodes.get(x);
    for (const x of node.after) if (test(x)) return ir.nodes.get(x);
    return undefined;
  };
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const { record, fingerprint, missingFiles } = prints[i]!;
    const id = node.id;
    const blockedBy = upstreamWhere(node, (x) => status.get(x) === "blocked" || blockedOutside.has(x));
    let st: Status;
    let reasons: string[];
    if (missingFiles.length) {
      st = "blocked";
      reasons = missingFiles;
    } else if (blockedBy) {
      st = "blocked";
      reasons = [`upstream ${blockedBy.name} is blocked`];
    } else if (node.kind === "data" && !RUNNABLE_SOURCES.has(node.op) && node.inputs.length === 0) {
      st = "source";
      reasons = ["read in place"];
    } else {
      const prev = before.has(id) ? previous[before.get(id)!] : undefined;
      // Only what is selected is forced: `--force --only b` restores b's inputs from the cache.
      let remade: Remade | undefined;
      ({ st, reasons, remade } = decide(node, ir, found[i]!, prev, fingerprint, record, (name) => runningNames.has(name) || (wouldRunNames.has(name) && "would"), isForced(node.name) && selected.has(id), selected, inputChanges));
      // A cached result was made from its inputs' results as they were. An input that runs while
      // this stays cached runs with an unchanged fingerprint (forced, or its result lost from the
      // cache), and may make something else (a command is not always deterministic): so this runs
      // too, as Make and Snakemake rerun what is older than its input.
      const redo = st === "cached" ? upstreamWhere(node, (x) => remadeBecause.has(x)) : undefined;
      if (redo) {
        reasons = [remadeBecause.get(redo.id)!];
        st = selected.has(id) ? "run" : "skipped";
        if (st === "skipped") reasons = [`outside the selection (would run: ${reasons[0]})`];
        else remadeBecause.set(id, reasons[0]!);
      } else if (st === "run") {
        remadeBecause.set(id, remadeCause(node.name, remade, reasons[0] ?? ""));
      }
      // A selected node cannot run on a result that is neither in the cache nor selected to be made
      // (`--only train` before `prep` has a result): the executor would skip it, so the plan says so.
      const unmade = st === "run" ? upstreamWhere(node, (x) => status.get(x) === "skipped") : undefined;
      if (unmade) {
        st = "blocked";
        reasons = [`needs ${unmade.name}, which is outside the selection and not in the cache`];
      }
    }
    // What is blocked outside the selection does not stop the selection from running.
    if (st === "blocked" && !selected.has(id)) {
      blockedOutside.add(id);
      st = "skipped";
      reasons = [`outside the selection (blocked: ${reasons[0]})`];
    }
    status.set(id, st);
    if (st === "run") runningNames.add(node.name);
    // Outside the selection, a node that would run explains its dependants the same way.
    else if (st === "skipped" && !blockedOutside.has(id)) wouldRunNames.add(node.name);
    const lrValue = (node.params as Record<string, Canon> | null)?.["lr"];
    const c = cost.estimate(node);
    out.push({
      id,
      name: node.name,
      kind: node.kind,
      op: node.op,
      status: st,
      reasons,
      fingerprint,
      record,
      inputs: node.inputs.map((x) => ir.nodes.get(x)?.name ?? x),
      // On Slurm a data transform runs inside the job of the stage that reads it.
      where: st === "run" ? env.executor : st === "cached" ? "cache" : "none",
      resources: node.kind === "stage" ? mergeResources(ir.pipeline.resources, node.resources) : null,
      cost: c,
      ...(lrValue !== undefined && node.kind === "stage" ? { lr: sparkline(lrValue, c.steps ?? 100) } : {}),
      span: node.span,
    });
  }
  if (env.outputNotes) {
    const outputNotes = env.outputNotes.bind(env);
    const at = out.flatMap((n, i) => (n.status === "cached" && n.op === "command" ? [i] : []));
    const notes = await mapLimit(at, 8, (i) => outputNotes(out[i]!.fingerprint, ir.nodes.get(out[i]!.id)!));
    at.forEach((i, k) => {
      if (notes[k]!.length) out[i] = { ...out[i]!, notes: notes[k]! };
    });
  }
  const count = (s: Status) => out.filter((n) => n.status === s).length;
  const willRun = out.filter((n) => n.status === "run");
  return {
    pipeline: ir.pipeline.name,
    entry: ir.entry,
    backend: opts.backend,
    ...(opts.backendDetail ? { backendDetail: opts.backendDetail } : {}),
    nodes: out,
    totals: {
      run: count("run"),
      cached: count("cached"),
      blocked: count("blocked"),
      skipped: count("skipped"),
      flops: willRun.reduce((s, n) => s + (n.cost.flops ?? 0), 0),
      gpuHours: willRun.reduce((s, n) => s + (n.cost.gpuHours ?? 0), 0),
    },
  };
}

/** A stage's resources over the pipeline's defaults, key by key. */
function mergeResources(defaults: Canon, own: Canon): Canon {
  const merged = { ...obj(defaults), ...obj(own) };
  return Object.keys(merged).length ? merged : null;
}

/**
 * What a plan derives from the pipeline alone, so it can be kept with the compiled pipeline: each
 * node's params as its fingerprint record writes them (canonical JSON), and the files it reads that
 * no command of the pipeline produces (those are digested; produced ones are outputs).
 */
export interface PlanStatics {
  readonly paramsJson: ReadonlyMap<NodeId, string>;
  readonly reads: ReadonlyMap<NodeId, readonly string[]>;
}

export function planStatics(ir: Ir): PlanStatics {
  const produced = commandOutputs(ir);
  const paramsJson = new Map<NodeId, string>();
  const reads = new Map<NodeId, string[]>();
  for (const [id, n] of ir.nodes) {
    paramsJson.set(id, staticPart(n, ir).paramsJson);
    reads.set(id, filesRead(n).filter((x) => !produced.has(samePath(x))));
  }
  return { paramsJson, reads };
}

function commandOutputs(ir: Ir): Set<string> {
  const out = new Set<string>();
  for (const n of ir.nodes.values()) {
    const p = n.params as Record<string, Canon> | null;
    if (n.op !== "command" || !Array.isArray(p?.["outputs"])) continue;
    const dir = commandDir(n);
    for (const o of p["outputs"]) if (typeof o === "string") out.add(samePath(path.join(dir, o)));
  }
  return out;
}

function isDeclaredInput(node: IrNode, f: string): boolean {
  const inputs = (node.params as Record<string, Canon> | null)?.["inputs"];
  const dir = commandDir(node);
  return Array.isArray(inputs) && inputs.some((i) => typeof i === "string" && (i === f || path.join(dir, i) === f));
}

function decide(
  node: IrNode,
  ir: Ir,
  found: Lookup,
  prev: Previous,
  fingerprint: string,
  record: FingerprintRecord,
  rerunning: (name: string) => boolean | "would",
  forced: boolean,
  selected: ReadonlySet<NodeId>,
  inputChanges: ReadonlyMap<string, string>,
): { st: Status; reasons: string[]; remade?: Remade } {
  if (found.ok && !forced) return { st: "cached", reasons: ["fingerprint unchanged"] };
  let reasons: string[];
  // Why it runs with the fingerprint of a result the cache had, when it does (see Remade).
  let remade: Remade | undefined;
  if (forced || found.ok) [reasons, remade] = [["forced"], "forced"];
  else if (found.reason === "object-missing") [reasons, remade] = [[`object missing from cache: ${found.detail}`], "damaged"];
  else if (found.reason === "corrupt") [reasons, remade] = [[`cache entry corrupt: ${found.detail}`], "damaged"];
  else {
    if (!prev) reasons = ["never run"];
    else if ("failedIn" in prev) {
      const failed = `failed in run ${prev.failedIn}${prev.error ? `: ${prev.error}` : ""}`;
      // What changed since the failure comes first: it is what may make this attempt succeed.
      if (prev.fingerprint === undefined || prev.fingerprint === fingerprint) reasons = [failed];
      else if (prev.record) reasons = [...explainChange(prev.record, record, rerunning, sourceFileOf(node, ir), defaultOf(node), inputChanges), `last ${failed}`];
      else reasons = [`changed since it ${failed}`];
    }
    else if (prev.fingerprint === fingerprint) [reasons, remade] = [["result missing from cache"], "lost"];
    // Run before, but that result's manifest is gone (cache gc, or removed by hand): what it was
    // made from cannot be compared with.
    else if (!prev.record) reasons = ["changed since its last run, whose result is no longer in the cache"];
    else {
      // Against the last result, or an earlier one it is closer to (a change reverted since, then
      // another made): the fewest reasons are the most specific, and the newest wins a tie.
      const why = (r: FingerprintRecord) => explainChange(r, record, rerunning, sourceFileOf(node, ir), defaultOf(node), inputChanges);
      reasons = why(prev.record);
      for (const r of prev.earlier ?? []) {
        const other = why(r);
        if (other.length < reasons.length) reasons = other;
      }
    }
  }
  // Every reason is kept: the first says it is outside the selection, the rest follow as they are.
  if (!selected.has(node.id)) return { st: "skipped", reasons: [`outside the selection (would run: ${reasons[0]})`, ...reasons.slice(1)] };
  return { st: "run", reasons, ...(remade ? { remade } : {}) };
}

/** The file behind an input of `node` that is a data source read in place, by the input's name. */
function sourceFileOf(node: IrNode, ir: Ir): (name: string) => string | undefined {
  return (name) => {
    const src = node.inputs.map((i) => ir.nodes.get(i)).find((n) => n?.name === name);
    const file = src?.op === "jsonl" ? (src.params as Record<string, Canon>)["path"] : undefined;
    return typeof file === "string" ? file : undefined;
  };
}
