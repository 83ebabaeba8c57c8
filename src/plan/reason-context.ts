import { FUNCTIONS } from "../check/builtins.js";
import { STAGE_KINDS } from "../check/schema.js";
import type { Canon, Ir, IrNode, NodeId } from "../ir/ir.js";
import { obj } from "../ir/read.js";
import { explainChange } from "./explain.js";
import type { FingerprintRecord, SourceRecord } from "./fingerprint.js";
import { mapLimit } from "./map-limit.js";
import type { PlanEnv, Previous } from "./plan.js";

/**
 * What the plan's reasons need beyond two records: how a changed input differs, what data sources
 * read, the built-in defaults a field falls back to, and what a rerun with an unchanged fingerprint
 * tells the stages that read it.
 */

/**
 * How the inputs that differ from what a node's last result was made with differ, for the reason
 * "input d_1:left changed (predicate: ...)": the input's current record against the one of the
 * result the node read, keyed by that result's fingerprint. Only inputs that will not rerun are
 * worth it (the reason then says it reruns), and only where the cache still has that record.
 */
export async function inputDetails(
  nodes: readonly IrNode[],
  prints: readonly { readonly record: FingerprintRecord; readonly fingerprint: string }[],
  previous: readonly Previous[],
  before: ReadonlyMap<NodeId, number>,
  ir: Ir,
  env: PlanEnv,
): Promise<ReadonlyMap<string, string>> {
  const out = new Map<string, string>();
  if (!env.recordOf) return out;
  const current = new Map(nodes.map((n, i) => [n.id, prints[i]!] as const));
  const wanted = new Map<string, FingerprintRecord>();
  for (const n of nodes) {
    const at = before.get(n.id);
    const prev = at === undefined ? undefined : previous[at];
    if (!prev || "failedIn" in prev || !prev.record) continue;
    for (const r of [prev.record, ...(prev.earlier ?? [])]) {
      n.inputs.forEach((id, k) => {
        const old = r.inputs[`~${k}`];
        const now = current.get(id);
        if (old && now && old !== now.fingerprint && ir.nodes.get(id)?.op !== "jsonl") wanted.set(old, now.record);
      });
    }
  }
  const recordOf = env.recordOf.bind(env);
  const olds = [...wanted.keys()].slice(0, 200);
  const records = await mapLimit(olds, 16, (fp) => recordOf(fp));
  olds.forEach((fp, k) => {
    const was = records[k];
    if (!was) return;
    const why = explainChange(was, wanted.get(fp)!, () => false).filter((r) => r !== "fingerprint changed");
    if (why.length) out.set(fp, why.slice(0, 2).join("; ") + (why.length > 2 ? "; ..." : ""));
  });
  return out;
}

/** Keeps on `record` what the data sources among `node`'s inputs read (see FingerprintRecord.sources). */
export function withSources(record: FingerprintRecord, node: IrNode, sources: ReadonlyMap<NodeId, SourceRecord>): void {
  let found: Record<string, SourceRecord> | undefined;
  for (let i = 0; i < node.inputs.length; i++) {
    const s = sources.get(node.inputs[i]!);
    if (s) (found ??= {})[`~${i}`] = s;
  }
  if (found) (record as { sources?: Readonly<Record<string, SourceRecord>> }).sources = found;
}

/** `params` with every argument left out that has a known default written in, so reasons can show it. */
export function sourceParamsWithDefaults(params: Canon, defaults: (field: string) => Canon | undefined): Canon {
  const p = obj(params);
  const spec = FUNCTIONS["jsonl"]?.params ?? [];
  const filled: Record<string, Canon> = { ...p };
  for (const a of spec) if (!(a.name in p) && defaults(a.name) !== undefined) filled[a.name] = defaults(a.name)!;
  return filled;
}

/** The built-in default of a field of `node`'s kind, or of a data source's argument, as a value. */
export function defaultOf(node: IrNode): (field: string) => Canon | undefined {
  return (field) => {
    if (node.kind === "stage") return STAGE_KINDS[node.op]?.fields[field]?.value;
    const spec = FUNCTIONS[node.op]?.params.find((p) => p.name === field);
    if (typeof spec?.value === "number" || typeof spec?.value === "string") return spec.value;
    try {
      return spec?.default !== undefined ? (JSON.parse(spec.default) as Canon) : undefined;
    } catch {
      return undefined;
    }
  };
}

/** Why a node runs with the fingerprint of a result the cache had: forced, or that result damaged or gone. */
export type Remade = "forced" | "damaged" | "lost";

/**
 * What a cached dependant of `name` says when `name` runs: the cause, for a rerun with an unchanged
 * fingerprint (`remade`), or else its first reason.
 */
export function remadeCause(name: string, remade: Remade | undefined, reason: string): string {
  if (remade === "forced") return `upstream ${name} is forced`;
  if (remade === "damaged") return `upstream ${name} is made again (its cached result is damaged or incomplete)`;
  if (remade === "lost") return `upstream ${name} is made again (its result is no longer in the cache)`;
  return `upstream ${name} is made again (${reason})`;
}
