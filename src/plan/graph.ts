import type { Ir, IrNode } from "../ir/ir.js";

/** Stages only, or every node: data transforms make a large graph. */
function nodesOf(ir: Ir, all: boolean): IrNode[] {
  return ir.order.map((id) => ir.nodes.get(id)!).filter((n) => all || n.kind === "stage");
}

/** A node's dependencies among the shown nodes: through hidden data nodes when only stages are shown. */
function shownDeps(ir: Ir, n: IrNode, shown: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  const stack = [...n.inputs, ...n.after];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    if (shown.has(id)) out.add(id);
    else stack.push(...(ir.nodes.get(id)?.inputs ?? []));
  }
  return [...out];
}

function edges(ir: Ir, all: boolean): { nodes: IrNode[]; edges: [string, string][] } {
  const nodes = nodesOf(ir, all);
  const shown = new Set<string>(nodes.map((n) => n.id));
  return { nodes, edges: nodes.flatMap((n) => shownDeps(ir, n, shown).map((d) => [d, n.id] as [string, string])) };
}

const label = (ir: Ir, id: string) => ir.nodes.get(id as IrNode["id"])?.name ?? id;
const quote = (s: string) => JSON.stringify(s);

export function graphDot(ir: Ir, all = false): string {
  const g = edges(ir, all);
  const lines = ["digraph pipeline {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];'];
  for (const n of g.nodes) lines.push(`  ${quote(n.id)} [label=${quote(`${n.name}\n${n.op}`)}${n.kind === "data" ? ", shape=note" : ""}];`);
  for (const [a, b] of g.edges) lines.push(`  ${quote(a)} -> ${quote(b)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

export function graphMermaid(ir: Ir, all = false): string {
  const g = edges(ir, all);
  const ids = new Map(g.nodes.map((n, i) => [n.id as string, `n${i}`]));
  const lines = ["flowchart LR"];
  for (const n of g.nodes) lines.push(`  ${ids.get(n.id)}[${quote(`${n.name} (${n.op})`)}]`);
  for (const [a, b] of g.edges) lines.push(`  ${ids.get(a)} --> ${ids.get(b)}`);
  return `${lines.join("\n")}\n`;
}

export function graphJson(ir: Ir, all = false): string {
  const g = edges(ir, all);
  return `${JSON.stringify({ nodes: g.nodes.map((n) => ({ id: n.id, name: n.name, kind: n.kind, op: n.op })), edges: g.edges.map(([a, b]) => ({ from: label(ir, a), to: label(ir, b) })) }, null, 2)}\n`;
}

/** One line per node in dependency order, with what it reads: readable in any terminal. */
export function graphAscii(ir: Ir, all = false): string {
  const g = edges(ir, all);
  const deps = new Map<string, string[]>();
  for (const [a, b] of g.edges) deps.set(b, [...(deps.get(b) ?? []), label(ir, a)]);
  const width = Math.max(...g.nodes.map((n) => n.name.length), 4);
  return `${g.nodes.map((n) => `${n.name.padEnd(width)}  ${n.op.padEnd(9)} ${deps.get(n.id)?.length ? `<- ${deps.get(n.id)!.join(", ")}` : ""}`.trimEnd()).join("\n")}\n`;
}
