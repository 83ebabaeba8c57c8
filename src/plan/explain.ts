import type { Canon } from "../ir/ir.js";
import type { FingerprintRecord } from "./fingerprint.js";

/** Numbers the way a pipeline file writes them: 2e-4, 16384, 0.05. */
export function showValue(v: Canon | undefined): string {
  if (v === undefined) return "unset";
  if (typeof v === "number") return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential().replace(/\.?0+e/, "e") : String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || typeof v === "boolean") return String(v);
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
): string[] {
  const reasons: string[] = [];
  if (prev.impl !== cur.impl) reasons.push(`runtime ${cur.op} ${prev.impl} → ${cur.impl}`);
  if (prev.backend !== cur.backend) reasons.push(`backend ${prev.backend ?? "none"} → ${cur.backend ?? "none"}`);
  if (prev.seed !== cur.seed) reasons.push(`seed ${prev.seed ?? "none"} → ${cur.seed ?? "none"}`);
  const params: string[] = [];
  diffValues("", prev.params, cur.params, params);
  reasons.push(...params);
  for (const f of [...new Set([...Object.keys(prev.files), ...Object.keys(cur.files)])].sort()) {
    if (prev.files[f] === cur.files[f]) continue;
    reasons.push(prev.files[f] === undefined ? `new input file ${f}` : cur.files[f] === undefined ? `no longer reads ${f}` : `input ${f} changed`);
  }
  const was = placed(prev, cur);
  for (const key of [...new Set([...Object.keys(was), ...Object.keys(cur.inputs)])]) {
    const before = was[key];
    const now = cur.inputs[key];
    if (before?.fp === now) continue;
    const name = cur.names?.[key] ?? key;
    if (before === undefined) reasons.push(`new input ${name}`);
    else if (now === undefined) reasons.push(`no longer reads ${before.name}`);
    else if (rerunning(name)) reasons.push(upstreamReruns(name, rerunning(name)));
    else reasons.push(before.name !== name ? `reads ${name} instead of ${before.name}` : `input ${sourceFile(name) ?? name} changed`);
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
  return reasons.length ? reasons : ["fingerprint changed"];
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
