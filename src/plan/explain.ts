import type { Canon } from "../ir/ir.js";
import type { FingerprintRecord, SourceRecord } from "./fingerprint.js";

/** Numbers the way a pipeline file writes them: 2e-4, 16384, 0.05. */
export function showValue(v: Canon | undefined): string {
  if (v === undefined) return "unset";
  if (typeof v === "number") return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential().replace(/\.?0+e/, "e") : String(v);
  // Quoted as written: a regex's backslashes stay single, as in the pipeline file.
  if (typeof v === "string") return `"${v.replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  if (v === null || typeof v === "boolean") return String(v);
  // A command's input by the name it is handed over as, not its place in the record.
  if (isObject(v) && typeof v["as"] === "string") return v["as"];
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Leaf-level differences between two canonical values: ["lr: 2e-4 → 1e-4", ...]. */
export function diffValues(path: string, a: Canon | undefined, b: Canon | undefined, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const isObj = (v: Canon | undefined): v is Record<string, Canon> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      // Call records read better without their structural keys: lr.from, not lr.args.from.
      const sub = k === "args" || k === "call" && a[k] === b[k] ? path : path ? `${path}.${k}` : k;
      diffValues(sub, a[k], b[k], out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => diffValues(`${path}[${i}]`, x, b[i], out));
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    // Lists of different lengths: leave out the common ends, so one flag added to a long argv reads
    // as that flag rather than as two long lists cut off at the same place.
    const same = (x: Canon | undefined, y: Canon | undefined) => JSON.stringify(x) === JSON.stringify(y);
    let pre = 0;
    while (pre < a.length && pre < b.length && same(a[pre], b[pre])) pre++;
    let suf = 0;
    while (suf < a.length - pre && suf < b.length - pre && same(a[a.length - 1 - suf], b[b.length - 1 - suf])) suf++;
    const from = a.slice(pre, a.length - suf);
    const to = b.slice(pre, b.length - suf);
    const list = (xs: readonly Canon[]) => xs.map((x) => showValue(x)).join(", ");
    out.push(!from.length ? `${path}: added ${list(to)}` : !to.length ? `${path}: removed ${list(from)}` : `${path}: ${list(from)} → ${list(to)}`);
    return;
  }
  out.push(`${path}: ${showValue(a)} → ${showValue(b)}`);
}

/**
 * Why a node's record differs from the one its last result was made with, most telling first.
 * `sourceFile` names the file behind an input that is a data source read in place, so an edited
 * data file reads as "input data/vl.jsonl changed" rather than by the dataset's name.
 */
export function explainChange(
  prev: FingerprintRecord,
  cur: FingerprintRecord,
  /** Whether an input will rerun in this plan, or "would" (it is outside the selection). */
  rerunning: (input: string) => boolean | "would",
  sourceFile: (input: string) => string | undefined = () => undefined,
  /** A field's built-in default, so a field set back to it reads "56 → 256", not "56 → unset". */
  defaultOf: (field: string) => Canon | undefined = () => undefined,
  /** How an input differs from the result the last one read, by that result's fingerprint (plan.ts). */
  inputChanges: ReadonlyMap<string, string> = new Map(),
): string[] {
  const reasons: string[] = [];
  if (prev.op !== cur.op) {
    // Another kind of stage or transform: its fields are another kind's, so they are not compared.
    reasons.push(`${cur.kind === "stage" ? "kind" : "transform"} ${prev.op} → ${cur.op}`);
  } else {
    if (prev.impl !== cur.impl) reasons.push(`runtime ${cur.op} ${prev.impl} → ${cur.impl}`);
    if (prev.backend !== cur.backend) reasons.push(`backend ${prev.backend ?? "none"} → ${cur.backend ?? "none"}`);
    const seedChanged = prev.seed !== cur.seed;
    if (seedChanged) reasons.push(`seed ${prev.seed ?? "none"} → ${cur.seed ?? "none"}`);
    const params: string[] = [];
    // An earlier build's record names the stages and data its params refer to; this one numbers them.
    const before = olderRecord(prev) ? renumbered(prev.params, new Map(Object.entries(cur.names ?? {}).map(([k, n]) => [n, k] as const))) : prev.params;
    diffValues("", withDefaults(before, cur.params, defaultOf), withDefaults(cur.params, before, defaultOf), params);
    // A seed kept in the params too (a sample's) is said once.
    reasons.push(...(seedChanged ? params.filter((r) => !r.startsWith("seed: ")) : params));
  }
  for (const f of [...new Set([...Object.keys(prev.files), ...Object.keys(cur.files)])].sort()) {
    if (prev.files[f] === cur.files[f]) continue;
    reasons.push(prev.files[f] === undefined ? `new input file ${f}` : cur.files[f] === undefined ? `no longer reads ${f}` : `input ${f} changed`);
  }
  const was = placed(prev, cur);
  const keys = [...new Set([...Object.keys(was), ...Object.keys(cur.inputs)])];
  const reordered = sameInputsReordered(was, cur);
  if (reordered) reasons.push(reordered);
  for (const key of reordered ? [] : keys) {
    const before = was[key];
    const now = cur.inputs[key];
    if (before?.fp === now) continue;
    const name = cur.names?.[key] ?? key;
    if (before === undefined) reasons.push(`new input ${name}`);
    else if (now === undefined) reasons.push(`no longer reads ${before.name}`);
    else if (rerunning(name)) reasons.push(upstreamReruns(name, rerunning(name)));
    else if (before.name !== name) reasons.push(`reads ${name} instead of ${before.name}`);
    else {
      const source = sourceChange(name, prev.sources?.[key], cur.sources?.[key]);
      const detail = inputChanges.get(before.fp);
      reasons.push(...(source.length ? source : [`input ${sourceFile(name) ?? name} changed${detail ? ` (${detail})` : ""}`]));
    }
  }
  const afterBefore = afterByName(prev);
  const afterNow = afterByName(cur);
  if (JSON.stringify([...afterBefore.values()].sort()) !== JSON.stringify([...afterNow.values()].sort())) {
    const said = reasons.length;
    for (const name of [...new Set([...afterBefore.keys(), ...afterNow.keys()])]) {
      if (afterBefore.get(name) === afterNow.get(name)) continue;
      if (!afterBefore.has(name)) reasons.push(`now runs after ${name}`);
      else if (!afterNow.has(name)) reasons.push(`no longer runs after ${name}`);
      else reasons.push(rerunning(name) ? upstreamReruns(name, rerunning(name)) : `${name}, which it runs after, changed`);
    }
    if (reasons.length === said) reasons.push("a stage it runs after changed");
  }
  if (!reasons.length && olderRecord(prev)) reasons.push("its last result was recorded by an earlier stagecraft, whose records named inputs instead of numbering them");
  // One file read two ways (a dataset and a declared input) is one reason.
  return reasons.length ? [...new Set(reasons)] : ["fingerprint changed"];
}

/** `v` with each reference by name (`{ stage: "init" }`) written by its input's key (`{ stage: "~0" }`). */
function renumbered(v: Canon, keyOf: ReadonlyMap<string, string>): Canon {
  if (Array.isArray(v)) return v.map((x) => renumbered(x, keyOf));
  if (!isObject(v)) return v;
  const out: Record<string, Canon> = {};
  for (const [k, x] of Object.entries(v)) out[k] = (k === "stage" || k === "data") && typeof x === "string" ? (keyOf.get(x) ?? x) : renumbered(x, keyOf);
  return out;
}

/** `params` with the fields `other` has and it leaves out filled with their defaults, where known. */
function withDefaults(params: Canon, other: Canon, defaultOf: (field: string) => Canon | undefined): Canon {
  if (!isObject(params) || !isObject(other)) return params;
  let out: Record<string, Canon> | undefined;
  for (const k of Object.keys(other)) {
    if (k in params) continue;
    const d = defaultOf(k);
    if (d !== undefined) (out ??= { ...params })[k] = d;
  }
  return out ?? params;
}

const isObject = (v: Canon | undefined): v is Record<string, Canon> => v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);

/** The same inputs as before in another order (`s union r` for `r union s`): one reason, not one per side. */
function sameInputsReordered(was: Readonly<Record<string, { fp: string; name: string }>>, cur: FingerprintRecord): string | undefined {
  const before = Object.keys(was).sort();
  const now = Object.keys(cur.inputs).sort();
  if (before.length < 2 || before.join() !== now.join()) return undefined;
  const a = before.map((k) => was[k]!.fp);
  const b = now.map((k) => cur.inputs[k]!);
  if (a.every((fp, i) => fp === b[i]) || [...a].sort().join() !== [...b].sort().join()) return undefined;
  const names = (xs: readonly string[], name: (k: string) => string) => xs.map(name).join(", ");
  return `reads its inputs in another order: ${names(now, (k) => cur.names?.[k] ?? k)} (was ${names(before, (k) => was[k]!.name)})`;
}

/** What changed in a data source read in place (its file, its settings), by the records' copies of it. */
function sourceChange(name: string, a: SourceRecord | undefined, b: SourceRecord | undefined): string[] {
  if (!a || !b) return [];
  const out: string[] = [];
  diffValues(name, a.params, b.params, out);
  for (const f of Object.keys(b.files)) if (a.files[f] !== undefined && a.files[f] !== b.files[f]) out.push(`input ${f} changed`);
  return out;
}

/**
 * The inputs of the last result's record by the keys the current record uses (place, "~0"), with
 * their names. Records made before inputs were keyed by place keyed stages by name: those are
 * matched to the current input of that name.
 */
function placed(prev: FingerprintRecord, cur: FingerprintRecord): Record<string, { fp: string; name: string }> {
  const out: Record<string, { fp: string; name: string }> = {};
  const byName = new Map(Object.entries(cur.names ?? {}).map(([k, n]) => [n, k] as const));
  for (const [key, fp] of Object.entries(prev.inputs)) {
    if (key.startsWith("~")) out[key] = { fp, name: prev.names?.[key] ?? key };
    else out[byName.get(key) ?? key] = { fp, name: key };
  }
  return out;
}

/**
 * The stages a record runs after, name → fingerprint. A record kept by an earlier stagecraft, read
 * back from the cache, may hold them as a name → fingerprint object instead of a sorted list.
 */
function afterByName(r: FingerprintRecord): Map<string, string> {
  const after: unknown = r.after;
  if (after === undefined) return new Map();
  if (!Array.isArray(after)) return new Map(Object.entries(after as Readonly<Record<string, string>>));
  return new Map((after as readonly string[]).map((fp, i) => [r.afterNames?.[i] ?? `#${i}`, fp] as const));
}

/** A record of the form before inputs were keyed by place (stages by name, `after` by name). */
function olderRecord(r: FingerprintRecord): boolean {
  return Object.keys(r.inputs).some((k) => !k.startsWith("~")) || (r.after !== undefined && !Array.isArray(r.after as unknown));
}

function upstreamReruns(name: string, how: boolean | "would"): string {
  return `upstream ${name} ${how === "would" ? "would" : "will"} rerun`;
}
