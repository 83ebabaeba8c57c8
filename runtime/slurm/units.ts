import { fingerprintHex } from "../../src/cache/manifest.js";
import type { Ir, NodeId } from "../../src/ir/ir.js";
import type { Plan, PlannedNode } from "../../src/plan/plan.js";
import { effectiveResources, type Resources } from "./resources.js";

/**
 * One Slurm job: a stage that must run, with the data transforms feeding it that must run too (the
 * job body runs them with `--only STAGE` semantics). A transform no running stage reads becomes a
 * job of its own, so nothing the local executor would run is left out.
 */
export interface Unit {
  readonly node: PlannedNode;
  /** What `stagecraft job FILE NODE` is told: the stage name, or a data node's id. */
  readonly arg: string;
  readonly jobName: string;
  /** The stages whose jobs this one waits for (afterok), reached through data nodes. */
  readonly deps: readonly NodeId[];
  /** An upstream stage that will not be there (outside the selection, or not run): the job cannot run. */
  readonly missing: PlannedNode | undefined;
  /** Data nodes that run inside this job, by name (a shared transform runs in every job that reads it). */
  readonly inner: readonly string[];
  readonly resources: Resources;
  readonly forced: boolean;
}

const safe = (s: string, max: number) => s.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, max) || "x";

/** `sc-<pipeline>-<stage>-<fingerprint prefix>`: the same node with the same inputs always gets the same name. */
export function jobName(pipeline: string, node: PlannedNode): string {
  const label = node.kind === "stage" ? node.name : "data";
  return `sc-${safe(pipeline, 40)}-${safe(label, 60)}-${fingerprintHex(node.fingerprint).slice(0, 12)}`;
}

/** The plan's nodes that must run, grouped into jobs, in dependency order. */
export function jobUnits(plan: Plan, ir: Ir): Unit[] {
  const planned = new Map(plan.nodes.map((n) => [n.id, n]));
  const node = (id: NodeId) => ir.nodes.get(id)!;
  // Data nodes feeding `id` (through data inputs only, as --only selects them) and the stages beyond.
  const reach = (id: NodeId) => {
    const data = new Set<NodeId>();
    const stages = new Set<NodeId>();
    const stack = [...node(id).inputs, ...node(id).after];
    while (stack.length) {
      const x = stack.pop()!;
      const n = ir.nodes.get(x);
      if (!n || data.has(x) || stages.has(x)) continue;
      if (n.kind === "stage") stages.add(x);
      else {
        data.add(x);
        stack.push(...n.inputs, ...n.after);
      }
    }
    return { data, stages };
  };
  const heads: NodeId[] = plan.nodes.filter((n) => n.status === "run" && n.kind === "stage").map((n) => n.id);
  const covered = new Set<NodeId>();
  for (const id of heads) for (const d of reach(id).data) covered.add(d);
  // Transforms no running stage reads, latest first, so one job covers a whole chain of them.
  for (const pn of [...plan.nodes].reverse()) {
    if (pn.status !== "run" || pn.kind !== "data" || covered.has(pn.id)) continue;
    heads.push(pn.id);
    for (const d of reach(pn.id).data) covered.add(d);
  }
  const order = new Map(plan.nodes.map((n, i) => [n.id, i]));
  heads.sort((a, b) => order.get(a)! - order.get(b)!);
  const isHead = new Set(heads);
  return heads.map((id) => {
    const pn = planned.get(id)!;
    const { data, stages } = reach(id);
    const deps = [...stages].filter((s) => isHead.has(s));
    const missing = [...stages].map((s) => planned.get(s)!).find((s) => !isHead.has(s.id) && s.status !== "cached");
    const n = node(id);
    return {
      node: pn,
      arg: pn.kind === "stage" ? pn.name : pn.id,
      jobName: jobName(plan.pipeline, pn),
      deps,
      missing,
      inner: [...data].map((d) => planned.get(d)!).filter((d) => d.status === "run").map((d) => d.name),
      resources: effectiveResources(ir.pipeline.resources, n.resources, n.kind),
      forced: pn.reasons[0] === "forced",
    };
  });
}
