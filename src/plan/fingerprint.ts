import path from "node:path";
import { canonicalJson, sha256Hex } from "../ir/canon.js";
import type { Canon, Ir, IrNode, NodeId } from "../ir/ir.js";
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
  /** Input name → fingerprint, in the node's input order. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Path → content digest of files the node reads (data sources, scripts, declared inputs). */
  readonly files: Readonly<Record<string, string>>;
  readonly seed?: number;
  readonly backend?: string;
}

export interface Fingerprinted {
  readonly record: FingerprintRecord;
  readonly fingerprint: string;
}

/** Keys whose values are row expressions: kept as text in records, "quality >= 4". */
const ROW_KEYS = new Set(["predicate", "reward", "repetition_penalty"]);

/**
 * Replaces node ids inside params by the referenced node's name and row expressions by their text,
 * so records read well and diff by name ("predicate: quality >= 3 → quality >= 4").
 */
function named(v: Canon, ir: Ir): Canon {
  if (Array.isArray(v)) return v.map((x) => named(x, ir));
  if (v && typeof v === "object") {
    const out: Record<string, Canon> = {};
    for (const [k, x] of Object.entries(v)) {
      if ((k === "data" || k === "stage") && typeof x === "string") out[k] = ir.nodes.get(x as NodeId)?.name ?? x;
      else if (ROW_KEYS.has(k) && isRowExpr(x)) out[k] = rowText(x);
      else out[k] = named(x as Canon, ir);
    }
    return out;
  }
  return v;
}

export function fingerprintNode(
  node: IrNode,
  ir: Ir,
  inputFingerprints: ReadonlyMap<NodeId, string>,
  files: Readonly<Record<string, string>>,
  backend: string,
): Fingerprinted {
  const inputs: Record<string, string> = {};
  for (const id of node.inputs) {
    const n = ir.nodes.get(id);
    inputs[n?.name ?? id] = inputFingerprints.get(id) ?? "missing";
  }
  const seedParam = node.kind === "stage" ? (node.params as Record<string, Canon>)["seed"] : (node.params as Record<string, Canon>)["seed"];
  // Paths reach the IR relative to the working directory; the record keeps them relative to the
  // pipeline file, so `stagecraft plan p.sc` and `stagecraft plan proj/p.sc` agree on every fingerprint.
  const base = path.dirname(ir.entry);
  const project = (f: string) => path.relative(base, f) || ".";
  const params = named(node.params, ir);
  const src = node.op === "jsonl" && params && typeof params === "object" && !Array.isArray(params) ? (params as Record<string, Canon>) : undefined;
  const record: FingerprintRecord = {
    kind: node.kind,
    op: node.op,
    impl: IMPL_VERSIONS[node.op] ?? 1,
    params: src && typeof src["path"] === "string" ? { ...src, path: project(src["path"]) } : params,
    inputs,
    files: Object.fromEntries(Object.entries(files).map(([f, d]) => [project(f), d])),
    ...(SEEDED_KINDS.has(node.op) ? { seed: typeof seedParam === "number" ? seedParam : ir.pipeline.seed } : {}),
    ...(BACKEND_KINDS.has(node.op) ? { backend } : {}),
  };
  return { record, fingerprint: sha256Hex(canonicalJson(record)) };
}

/** Paths a node reads, found in its params: data sources, declared command inputs, scripts named in argv. */
export function filesRead(node: IrNode): string[] {
  const out = new Set<string>();
  const p = node.params as Record<string, Canon>;
  if (node.op === "jsonl" && typeof p["path"] === "string") out.add(p["path"]);
  // Commands run in the pipeline file's directory, so the paths they name are relative to it.
  const dir = path.dirname(node.span.file);
  const visit = (v: Canon, key?: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) {
        if (typeof x === "string" && (key === "argv" || key === "run" || key === "inputs") && looksLikePath(x)) out.add(path.isAbsolute(x) ? x : path.join(dir, x));
        else visit(x);
      }
    } else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) visit(x as Canon, k);
  };
  visit(node.params);
  return [...out];
}

/** A script or data file named in a command line, as opposed to a program name or a flag. */
function looksLikePath(s: string): boolean {
  return !s.startsWith("-") && (s.includes("/") || /\.(py|sh|js|mjs|ts|rb|pl|jsonl|json|csv|txt|yaml|yml|toml)$/.test(s));
}
