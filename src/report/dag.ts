import type { Ir } from "../ir/ir.js";
import { graphJson } from "../plan/graph.js";
import { escapeXml } from "./chart.js";

export interface DagNode {
  readonly name: string;
  readonly op: string;
}

export interface Dag {
  readonly nodes: readonly DagNode[];
  readonly edges: readonly (readonly [from: string, to: string])[];
}

/** The stage graph, stages only, in pipeline order; edges go through hidden data nodes as `graph` draws them. */
export function stageDag(ir: Ir): Dag {
  // graph.ts owns how dependencies are seen through data nodes; its JSON form is the exported way in.
  const g = JSON.parse(graphJson(ir)) as { nodes: { name: string; op: string }[]; edges: { from: string; to: string }[] };
  return { nodes: g.nodes.map((n) => ({ name: n.name, op: n.op })), edges: g.edges.map((e) => [e.from, e.to] as const) };
}

/** Column of each node: the longest path to it from a node with no dependencies. */
export function layers(dag: Dag): Map<string, number> {
  const deps = new Map<string, string[]>(dag.nodes.map((n) => [n.name, []]));
  for (const [a, b] of dag.edges) deps.get(b)?.push(a);
  const out = new Map<string, number>();
  const visit = (n: string, onPath: Set<string>): number => {
    const known = out.get(n);
    if (known !== undefined) return known;
    // A cycle cannot reach the IR (the checker rejects it); guard anyway rather than recurse forever.
    if (onPath.has(n)) return 0;
    onPath.add(n);
    const l = Math.max(-1, ...(deps.get(n) ?? []).map((d) => visit(d, onPath))) + 1;
    onPath.delete(n);
    out.set(n, l);
    return l;
  };
  for (const n of dag.nodes) visit(n.name, new Set());
  return out;
}

const BOX_H = 38;
const COL_GAP = 56;
const ROW_GAP = 14;
const PAD = 12;
const CHAR_W = 7.2;

/**
 * A left-to-right layered drawing: one column per layer, nodes in pipeline order within a column,
 * edges as curves with arrowheads. `status` colours a node: cached results green, the rest grey.
 */
export function dagSvg(dag: Dag, status: (name: string) => "cached" | "missing"): string {
  const layer = layers(dag);
  const cols: string[][] = [];
  for (const n of dag.nodes) (cols[layer.get(n.name) ?? 0] ??= []).push(n.name);
  const op = new Map(dag.nodes.map((n) => [n.name, n.op]));
  const boxW = Math.max(96, ...dag.nodes.map((n) => Math.max(n.name.length, n.op.length + 2) * CHAR_W + 20));
  const rows = Math.max(1, ...cols.map((c) => c?.length ?? 0));
  const width = PAD * 2 + cols.length * boxW + Math.max(0, cols.length - 1) * COL_GAP;
  const height = PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP;
  const pos = new Map<string, { x: number; y: number }>();
  cols.forEach((c, i) => {
    const colH = c.length * BOX_H + (c.length - 1) * ROW_GAP;
    const top = PAD + (height - PAD * 2 - colH) / 2;
    c.forEach((name, j) => pos.set(name, { x: PAD + i * (boxW + COL_GAP), y: top + j * (BOX_H + ROW_GAP) }));
  });
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="dag" data-dag="layered" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="stage graph">`,
    "<title>stage graph</title>",
    '<defs><marker id="sc-dag-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>',
  ];
  for (const [a, b] of dag.edges) {
    const p = pos.get(a);
    const q = pos.get(b);
    if (!p || !q) continue;
    const x1 = p.x + boxW;
    const y1 = p.y + BOX_H / 2;
    const x2 = q.x;
    const y2 = q.y + BOX_H / 2;
    const mid = (x1 + x2) / 2;
    out.push(`<path class="edge" data-edge="${escapeXml(`${a}->${b}`)}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" fill="none" stroke="#666" marker-end="url(#sc-dag-arrow)"/>`);
  }
  for (const n of dag.nodes) {
    const p = pos.get(n.name)!;
    const cached = status(n.name) === "cached";
    out.push(`<g class="node" data-node="${escapeXml(n.name)}">`);
    out.push(`<rect x="${p.x}" y="${p.y}" width="${boxW}" height="${BOX_H}" rx="5" fill="${cached ? "#e3f4e1" : "#f1f1f1"}" stroke="${cached ? "#3c8d3c" : "#999"}"/>`);
    out.push(`<text x="${p.x + boxW / 2}" y="${p.y + 16}" text-anchor="middle" font-weight="bold">${escapeXml(n.name)}</text>`);
    out.push(`<text x="${p.x + boxW / 2}" y="${p.y + 30}" text-anchor="middle" class="tick">${escapeXml(op.get(n.name) ?? "")}</text>`);
    out.push("</g>");
  }
  out.push("</svg>");
  return out.join("\n");
}

/** Graphviz's SVG made fit to inline in HTML: no XML prolog, doctype or comments, and marked like ours. */
export function inlineDotSvg(svg: string): string | undefined {
  const start = svg.indexOf("<svg");
  if (start < 0) return undefined;
  return svg.slice(start).replace(/<!--[\s\S]*?-->/g, "").replace(/^<svg\b/, '<svg class="dag" data-dag="graphviz"').trim();
}
