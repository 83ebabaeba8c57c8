import path from "node:path";
import { canonicalJson, sha256Hex } from "../ir/canon.js";
import type { Canon, Ir, IrNode, NodeId } from "../ir/ir.js";
import { commandDir, samePath } from "../ir/paths.js";
import { isRowExpr, rowText } from "../ir/row-text.js";
import { BACKEND_KINDS, IMPL_VERSIONS, SEEDED_KINDS } from "./versions.js";

/**
 * The canonical record a node's fingerprint hashes: what it is, its implementation version, every
 * resolved value it reads, its inputs' fingerprints, the digests of files it reads, and, where they
 * matter, the seed and the backend. Kept with the result so the next plan can diff it field by field.
 */
export interface FingerprintRecord {
  readonly kind: "data" | "stage";
  readonly op: string;
  readonly impl: number;
  readonly params: Canon;
  /**
   * Input → fingerprint, keyed by the input's place among the node's inputs ("~0", "~1"), not by its
   * name: what a node reads is its inputs' results, so renaming a stage or a dataset reruns nothing
   * (and a data expression is one node however many stages read it, named after the first of them).
   * Records made before this keyed stages by name; the reasons read both.
   */
  readonly inputs: Readonly<Record<string, string>>;
  /** The names of the inputs, by the same keys, for reasons; not part of the fingerprint. */
  readonly names?: Readonly<Record<string, string>>;
  /**
   * Fingerprints of the stages it runs after (`after = [...]`, or a file it names that another
   * command writes), sorted: what those make, it reads. Left out when there are none. (Records made
   * before this kept stage name → fingerprint; the reasons read both.)
   */
  readonly after?: readonly string[];
  /** The names of the stages in `after`, in its order, for reasons; not part of the fingerprint. */
  readonly afterNames?: readonly string[];
  /** Path → content digest of files the node reads (data sources, scripts, declared inputs). */
  readonly files: Readonly<Record<string, string>>;
  readonly seed?: number;
  readonly backend?: string;
  /**
   * Inputs that are data sources read in place, by the keys of `inputs`, with what they read: so a
   * reason can say what changed in the source (its file's bytes, `on_error`, the path). Not hashed.
   */
  readonly sources?: Readonly<Record<string, SourceRecord>>;
}

/** A data source's params and file digests, as its own record holds them. */
export interface SourceRecord {
  readonly params: Canon;
  readonly files: Readonly<Record<string, string>>;
}

export interface Fingerprinted {
  readonly record: FingerprintRecord;
  readonly fingerprint: string;
}

/** Keys whose values are row expressions: kept as text in records, "quality >= 4". */
const ROW_KEYS = new Set(["predicate", "reward", "repetition_penalty"]);

/**
 * Replaces node ids inside params by the keys the record's inputs have (see `inputKeys`) and row
 * expressions by their text, so records read well and diff by what changed ("predicate: quality >= 3
 * → quality >= 4").
 */
function named(v: Canon, keys: ReadonlyMap<string, string>): Canon {
  if (Array.isArray(v)) return v.map((x) => named(x, keys));
  if (v && typeof v === "object") {
    const out: Record<string, Canon> = {};
    for (const [k, x] of Object.entries(v)) {
      if ((k === "data" || k === "stage") && typeof x === "string") out[k] = keys.get(x) ?? x;
      else if (ROW_KEYS.has(k) && isRowExpr(x)) out[k] = rowText(x);
      else out[k] = named(x as Canon, keys);
    }
    return out;
  }
  return v;
}

/** How a node's record keys each of its inputs: by place ("~0"). */
export function inputKeys(node: IrNode): Map<string, string> {
  const keys = new Map<string, string>();
  node.inputs.forEach((id, i) => keys.set(id, `~${i}`));
  return keys;
}

/**
 * The part of a node's record that depends on the pipeline alone: its params as the record keeps
 * them (names for node ids, row expressions as text, paths relative to the pipeline file) and their
 * canonical JSON. A pure function of the lowered pipeline, so it can be kept with it.
 */
export interface StaticPart {
  /** The params as an object; when left out, parsed from `paramsJson` the first time they are read. */
  readonly params?: Canon;
  readonly paramsJson: string;
}

export function staticPart(node: IrNode, ir: Ir): StaticPart {
  let params = named(node.params, inputKeys(node));
  // A seeded stage's seed is the record's own `seed` (its own, or the pipeline's): written out in
  // the stage or not, it is one value.
  // A stage that draws nothing at random (score) reads no seed at all.
  if (node.kind === "stage" && node.op !== "command" && params && typeof params === "object" && !Array.isArray(params) && "seed" in params) {
    const { seed: _seed, ...rest } = params as Record<string, Canon>;
    params = rest;
  }
  const src = node.op === "jsonl" && params && typeof params === "object" && !Array.isArray(params) ? (params as Record<string, Canon>) : undefined;
  let kept = src && typeof src["path"] === "string" ? { ...src, path: projectPath(ir, src["path"]) } : params;
  // A command runs where its file is, then its cwd: the record keeps that one directory, relative to
  // the pipeline file, so moving the stage into an imported file elsewhere reruns it, and `"sub"`,
  // `"sub/"` and `"./sub"` are one value. Beside the pipeline file it is left out.
  if (node.op === "command" && kept && typeof kept === "object" && !Array.isArray(kept)) {
    const { cwd: _cwd, ...rest } = kept as Record<string, Canon>;
    // Declared files the same way: "./y.py" and "y.py" are one input (argv is kept as the command sees it).
    for (const k of ["inputs", "outputs"]) {
      const list = rest[k];
      if (Array.isArray(list)) rest[k] = list.map((x) => (typeof x === "string" ? samePath(x) : x));
    }
    const dir = projectPath(ir, commandDir(node));
    kept = dir === "." ? rest : { ...rest, cwd: dir };
  }
  return { params: kept, paramsJson: canonicalJson(kept) };
}

/**
 * Paths reach the IR relative to the working directory; the record keeps them relative to the
 * pipeline file, so `stagecraft plan p.sc` and `stagecraft plan proj/p.sc` agree on every fingerprint.
 */
function projectPath(ir: Ir, f: string): string {
  return path.relative(path.dirname(ir.entry), f) || ".";
}

export function fingerprintNode(
  node: IrNode,
  ir: Ir,
  inputFingerprints: ReadonlyMap<NodeId, string>,
  files: Readonly<Record<string, string>>,
  backend: string,
  fixed: StaticPart = staticPart(node, ir),
): Fingerprinted {
  const inputs: Record<string, string> = {};
  let names: Record<string, string> | undefined;
  // The keys of `inputKeys`, without a map per node: this runs for every node of every plan.
  for (let i = 0; i < node.inputs.length; i++) {
    const id = node.inputs[i]!;
    inputs[`~${i}`] = inputFingerprints.get(id) ?? "missing";
    const n = ir.nodes.get(id);
    if (n) (names ??= {})[`~${i}`] = n.name;
  }
  const seedParam = (node.params as Record<string, Canon>)["seed"];
  // Most records are only hashed (the JSON is given); the params object is made when something
  // reads it: a diff against an earlier result, or the manifest a run writes.
  let params = fixed.params;
  const record: { -readonly [K in keyof FingerprintRecord]: FingerprintRecord[K] } = {
    kind: node.kind,
    op: node.op,
    impl: IMPL_VERSIONS[node.op] ?? 1,
    get params(): Canon {
      return (params ??= JSON.parse(fixed.paramsJson) as Canon);
    },
    inputs,
    files: isEmpty(files) ? {} : Object.fromEntries(Object.entries(files).map(([f, d]) => [projectPath(ir, f), d])),
  };
  // Set afterwards rather than spread in: a plan makes one record per node.
  if (names) record.names = names;
  const essential = essentialAfter(node, ir);
  if (essential.length) {
    const after = essential.map((id) => ({ fp: inputFingerprints.get(id) ?? "missing", name: ir.nodes.get(id)?.name ?? id }));
    after.sort((a, b) => (a.fp < b.fp ? -1 : a.fp > b.fp ? 1 : 0));
    record.after = after.map((a) => a.fp);
    record.afterNames = after.map((a) => a.name);
  }
  if (SEEDED_KINDS.has(node.op)) record.seed = typeof seedParam === "number" ? seedParam : ir.pipeline.seed;
  if (BACKEND_KINDS.has(node.op)) record.backend = backend;
  return { record, fingerprint: sha256Hex(recordJson(record, fixed.paramsJson)) };
}

/**
 * The stages a node runs after that are not already upstream of its other inputs and predecessors:
 * `after = [pre_enc]` on a stage trained from one that itself runs after pre_enc adds nothing its
 * inputs' fingerprints do not already hold, so writing it changes no fingerprint.
 */
function essentialAfter(node: IrNode, ir: Ir): readonly NodeId[] {
  if (node.after.length === 0 || node.after.length + node.inputs.length < 2) return node.after;
  return node.after.filter((a) => !upstreamOf(ir, [...node.inputs, ...node.after.filter((x) => x !== a)], a));
}

/** Whether `target` is among `from` or upstream of them; the walk is bounded, and past it the answer is no. */
function upstreamOf(ir: Ir, from: readonly NodeId[], target: NodeId): boolean {
  const seen = new Set<NodeId>();
  const queue = [...from];
  while (queue.length && seen.size < 20_000) {
    const id = queue.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = ir.nodes.get(id);
    if (n) queue.push(...n.inputs, ...n.after);
  }
  return false;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/**
 * canonicalJson of the record without its `names`, with the params' canonical JSON given: the
 * record's keys in sorted order (after, backend, files, impl, inputs, kind, op, params, seed), the
 * small parts written here.
 */
export function recordJson(r: FingerprintRecord, paramsJson: string): string {
  const after = r.after !== undefined ? `"after":${JSON.stringify(r.after)},` : "";
  const backend = r.backend !== undefined ? `"backend":${JSON.stringify(r.backend)},` : "";
  const seed = r.seed !== undefined ? `,"seed":${canonicalJson(r.seed)}` : "";
  return `{${after}${backend}"files":${stringMapJson(r.files)},"impl":${canonicalJson(r.impl)},"inputs":${stringMapJson(r.inputs)},"kind":${JSON.stringify(r.kind)},"op":${JSON.stringify(r.op)},"params":${paramsJson}${seed}}`;
}

/** canonicalJson of a flat string → string map (sorted keys), without the general walk. */
function stringMapJson(m: Readonly<Record<string, string>>): string {
  const keys = Object.keys(m);
  if (keys.length === 0) return "{}";
  if (keys.length > 1) keys.sort();
  let out = "";
  for (const k of keys) out += `${out ? "," : ""}${JSON.stringify(k)}:${JSON.stringify(m[k])}`;
  return `{${out}}`;
}

/**
 * Paths a node reads, found in its params: data sources, declared command inputs (every one, file or
 * directory), and what looks like a script or data file in a command line. A command stage's own
 * paths are relative to where it runs (its file's directory, then its `cwd`); those of a scorer
 * inside it, to its file's directory.
 */
export function filesRead(node: IrNode): string[] {
  const out = new Set<string>();
  const p = node.params as Record<string, Canon>;
  if (node.op === "jsonl" && typeof p["path"] === "string") out.add(p["path"]);
  const dir = path.dirname(node.span.file);
  const add = (base: string, x: string) => out.add(path.isAbsolute(x) ? x : path.join(base, x));
  const visit = (v: Canon, base: string, key?: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) {
        if (typeof x === "string" && key === "inputs") add(base, x);
        else if (typeof x === "string" && (key === "argv" || key === "run") && looksLikePath(x)) add(base, x);
        else visit(x, dir);
      }
    } else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) visit(x as Canon, dir, k);
  };
  if (node.op === "command" && p && typeof p === "object") {
    const base = commandDir(node);
    for (const [k, x] of Object.entries(p)) visit(x, k === "run" || k === "inputs" ? base : dir, k);
  } else visit(node.params, dir);
  return [...out];
}

/** A script or data file named in a command line, as opposed to a program name or a flag. */
function looksLikePath(s: string): boolean {
  return !s.startsWith("-") && (s.includes("/") || /\.(py|sh|js|mjs|ts|rb|pl|jsonl|json|csv|txt|yaml|yml|toml)$/.test(s));
}
