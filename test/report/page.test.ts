import { describe, expect, it } from "vitest";
import { parseMetrics, type StageReport } from "../../src/report/collect.js";
import { dagSvg, inlineDotSvg, layers, type Dag } from "../../src/report/dag.js";
import { reportHtml } from "../../src/report/page.js";

const steps = (n: number, f: (i: number) => Record<string, number>) => Array.from({ length: n }, (_, i) => JSON.stringify({ step: i + 1, ...f(i) })).join("\n") + "\n";

const dag: Dag = {
  nodes: [{ name: "pre", op: "pretrain" }, { name: "tune", op: "sft" }, { name: "test", op: "eval" }, { name: "rl", op: "grpo" }, { name: "final", op: "eval" }],
  edges: [["pre", "tune"], ["tune", "test"], ["tune", "rl"], ["rl", "final"]],
};

const stages: StageReport[] = [
  { name: "pre", op: "pretrain", cached: true, backend: "wasm", finishedAt: "t", metrics: parseMetrics(steps(20, (i) => ({ loss: 2 - i * 0.05, lr: 3e-3, grad_norm: 1 }))) },
  { name: "tune", op: "sft", cached: true, backend: "wasm", finishedAt: "t", metrics: parseMetrics(steps(30, (i) => ({ loss: 1 / (i + 1), lr: 1e-3 * (1 - i / 30) }))) },
  { name: "test", op: "eval", cached: true, backend: "wasm", finishedAt: "t", metrics: parseMetrics(`{"stage":"test","rows":64,"correct":40,"accuracy":0.625,"backend":"wasm"}\n`) },
  { name: "rl", op: "grpo", cached: true, backend: "wasm", finishedAt: "t", metrics: parseMetrics(steps(10, (i) => ({ loss: 0.1, reward_mean: 0.4 + i * 0.03, reward_std: 0.2, lr: 1e-4 }))) },
  { name: "final", op: "eval", cached: false, reason: "not in the cache: never run" },
];

describe("parseMetrics", () => {
  it("reads step lines and an eval summary, skipping what is not a JSON object", () => {
    const m = parseMetrics(`${steps(2, () => ({ loss: 1 }))}not json\n[1,2]\n{"accuracy":0.5,"rows":8}\n`);
    expect(m.steps.map((r) => r.step)).toEqual([1, 2]);
    expect(m.accuracy).toBe(0.5);
    expect(m.rows).toBe(8);
  });
});

describe("reportHtml", () => {
  const html = reportHtml({ pipeline: "tiny", file: "p.sc", backend: "wasm", stages, dag: dagSvg(dag, (n) => (n === "final" ? "missing" : "cached")) });
  const charts = [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);

  it("has loss and lr per training stage, reward for grpo, and one accuracy chart", () => {
    expect(charts).toEqual(["accuracy", "pre/loss", "pre/lr", "tune/loss", "tune/lr", "rl/loss", "rl/lr", "rl/reward"]);
  });

  it("plots accuracy only for eval stages with results, and names the ones left out", () => {
    const acc = html.slice(html.indexOf('data-chart="accuracy"'), html.indexOf("</svg>", html.indexOf('data-chart="accuracy"')));
    expect(acc).toContain(">test</text>");
    expect(acc).not.toContain(">final</text>");
    expect(html).toMatch(/Left out, no result in the cache: <b>final<\/b>/);
  });

  it("is self-contained: no scripts, external styles, fonts or images", () => {
    expect(html).not.toMatch(/<script|<link|@import|url\(http|src=/i);
    expect(html).toContain("<h1>Pipeline tiny</h1>");
    expect(html).toContain("backend wasm");
  });
});

describe("the stage graph", () => {
  it("layers nodes by their longest dependency path", () => {
    expect(Object.fromEntries(layers(dag))).toEqual({ pre: 0, tune: 1, test: 2, rl: 2, final: 3 });
  });
  it("draws a box per stage and a path per edge", () => {
    const svg = dagSvg(dag, () => "cached");
    expect(svg.match(/class="node"/g)).toHaveLength(5);
    expect(svg.match(/class="edge"/g)).toHaveLength(4);
  });
  it("inlines Graphviz's output without its prolog", () => {
    const s = inlineDotSvg('<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- g -->\n<svg width="8pt"><g/></svg>\n');
    expect(s).toBe('<svg class="dag" data-dag="graphviz" width="8pt"><g/></svg>');
    expect(inlineDotSvg("dot: syntax error")).toBeUndefined();
  });
});
