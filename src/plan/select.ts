import type { Ir, NodeId } from "../ir/ir.js";

/** Partial runs, as the CLI's --from, --until, --only and --force give them (stage names). */
export interface Selection {
  readonly from?: readonly string[];
  readonly until?: readonly string[];
  readonly only?: readonly string[];
  /** true: every node; a list: those stages. */
  readonly force?: boolean | readonly string[];
}

function closure(ir: Ir, start: Iterable<NodeId>, next: (id: NodeId) => Iterable<NodeId>): Set<NodeId> {
  const seen = new Set<NodeId>();
  const stack = [...start];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id) || !ir.nodes.has(id)) continue;
    seen.add(id);
    stack.push(...next(id));
  }
  return seen;
}

/**
 * The nodes allowed to run. --until S: S and what it needs. --from S: S and what depends on it.
 * --only S: just S. Data nodes feeding a selected stage are selected with it.
 */
export function select(ir: Ir, sel: Selection): Set<NodeId> {
  const ids = (names: readonly string[]) => names.map((n) => ir.stages.get(n) ?? (n as NodeId));
  const upstream = (start: Iterable<NodeId>) => closure(ir, start, (id) => [...(ir.nodes.get(id)?.inputs ?? []), ...(ir.nodes.get(id)?.after ?? [])]);
  let chosen = new Set<NodeId>(ir.nodes.keys());
  if (sel.until?.length) chosen = upstream(ids(sel.until));
  if (sel.from?.length) {
    const users = new Map<NodeId, NodeId[]>();
    for (const n of ir.nodes.values()) {
      for (const i of n.inputs) (users.get(i) ?? users.set(i, []).get(i)!).push(n.id);
      for (const i of n.after) (users.get(i) ?? users.set(i, []).get(i)!).push(n.id);
    }
    const down = closure(ir, ids(sel.from), (id) => users.get(id) ?? []);
    // The data transforms that feed what is chosen run with it; those that feed only what is not, do not.
    const feeding = closure(ir, [...chosen].filter((id) => down.has(id)), (id) => (ir.nodes.get(id)?.inputs ?? []).filter((i) => ir.nodes.get(i)?.kind === "data"));
    chosen = new Set([...chosen].filter((id) => down.has(id) || (ir.nodes.get(id)?.kind === "data" && feeding.has(id))));
  }
  if (sel.only?.length) {
    const only = new Set(ids(sel.only));
    // The data transforms that feed an --only stage run with it; upstream stages do not.
    const feeding = closure(ir, only, (id) => (ir.nodes.get(id)?.inputs ?? []).filter((i) => ir.nodes.get(i)?.kind === "data"));
    chosen = new Set([...chosen].filter((id) => only.has(id) || feeding.has(id)));
  }
  return chosen;
}
