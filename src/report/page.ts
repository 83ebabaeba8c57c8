import { escapeXml as esc, formatNumber, lineChart, type Point } from "./chart.js";
import type { StageReport, StepRow } from "./collect.js";

export interface ReportInput {
  readonly pipeline: string;
  readonly file: string;
  /** The backend the plan was made for (what `run` would use now). */
  readonly backend: string;
  readonly stages: readonly StageReport[];
  /** The stage graph, already an inline `<svg>`. */
  readonly dag: string;
}

type Cached = Extract<StageReport, { cached: true }>;

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1040px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #666; } table { border-collapse: collapse; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } .missing { color: #a35d00; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; }
svg text { font: 11px system-ui, Helvetica, Arial, sans-serif; fill: #333; } svg .chart-title { font-size: 13px; font-weight: 600; }
svg .axis-label { fill: #555; } .dag-wrap { overflow-x: auto; }
`;

const series = (rows: readonly StepRow[], key: string): Point[] => rows.filter((r) => key in r).map((r) => [r.step, r[key]!] as const);
const hasKey = (rows: readonly StepRow[], key: string) => rows.some((r) => key in r);
const last = (rows: readonly StepRow[], key: string) => [...rows].reverse().find((r) => key in r)?.[key];
const figure = (svg: string) => `<figure>${svg}</figure>`;

/** The charts of one training stage: loss and lr per step, and the reward when the stage has one (grpo). */
/** How a report's title starts: `report` writes over a file only when it begins with one. */
export const REPORT_TITLE = "stagecraft report:";

export function trainingCharts(s: Cached): string[] {
  const rows = s.metrics.steps;
  const charts = [
    lineChart({ id: `${s.name}/loss`, title: `${s.name} (${s.op}): loss`, xLabel: "step", yLabel: "loss", series: [{ name: "loss", points: series(rows, "loss") }] }),
    lineChart({ id: `${s.name}/lr`, title: `${s.name} (${s.op}): learning rate`, xLabel: "step", yLabel: "lr", series: [{ name: "lr", points: series(rows, "lr") }] }),
  ];
  if (hasKey(rows, "reward_mean")) {
    const mean = series(rows, "reward_mean");
    const std = new Map(series(rows, "reward_std"));
    const band = (sign: number): Point[] => mean.filter(([x]) => std.has(x)).map(([x, y]) => [x, y + sign * std.get(x)!] as const);
    const spread = std.size ? [{ name: "mean + std", points: band(1) }, { name: "mean − std", points: band(-1) }] : [];
    charts.push(lineChart({ id: `${s.name}/reward`, title: `${s.name} (${s.op}): reward`, xLabel: "step", yLabel: "reward", series: [{ name: "reward mean", points: mean }, ...spread] }));
  }
  return charts;
}

/** Held-out accuracy of every cached eval stage, in pipeline order: the recipe's story in one line. */
export function accuracyChart(stages: readonly StageReport[]): string {
  const evals = stages.filter((s): s is Cached => s.cached && s.metrics.accuracy !== undefined);
  return lineChart({
    id: "accuracy", title: "held-out accuracy per eval stage, in pipeline order", xLabel: "eval stage", yLabel: "accuracy",
    series: [{ name: "accuracy", points: evals.map((s, i) => [i, s.metrics.accuracy!] as const) }],
    xTicks: evals.map((s, i) => ({ at: i, label: s.name })), yDomain: [0, 1], markers: true, width: Math.max(480, 90 * evals.length + 80),
  });
}

function stageRow(s: StageReport): string {
  if (!s.cached) return `<tr class="missing"><td>${esc(s.name)}</td><td>${esc(s.op)}</td><td colspan="5">no result: ${esc(s.reason)}</td></tr>`;
  const rows = s.metrics.steps;
  const loss = last(rows, "loss");
  const cell = (v: number | undefined) => `<td class="num">${v === undefined ? "" : esc(formatNumber(v))}</td>`;
  return `<tr><td>${esc(s.name)}</td><td>${esc(s.op)}</td><td>${esc(s.backend ?? "")}</td>${cell(rows.length || undefined)}${cell(loss)}<td class="num">${s.metrics.accuracy === undefined ? "" : `${(s.metrics.accuracy * 100).toFixed(1)}%${s.metrics.rows !== undefined ? ` of ${s.metrics.rows}` : ""}`}</td><td>${esc(s.finishedAt)}</td></tr>`;
}

/** One self-contained page: inline style and SVG only, no scripts, fonts or links to fetch. */
export function reportHtml(r: ReportInput): string {
  const cached = r.stages.filter((s): s is Cached => s.cached);
  const missing = r.stages.filter((s) => !s.cached);
  const training = cached.filter((s) => hasKey(s.metrics.steps, "loss"));
  const used = [...new Set(cached.flatMap((s) => (s.backend ? [s.backend] : [])))];
  const parts = [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${REPORT_TITLE} ${esc(r.pipeline)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>Pipeline ${esc(r.pipeline)}</h1>`,
    `<p class="sub">${esc(r.file)} · backend ${esc(r.backend)}${used.length && (used.length > 1 || used[0] !== r.backend) ? ` (results made on ${esc(used.join(", "))})` : ""} · ${cached.length} of ${r.stages.length} stages have results in the cache</p>`,
  ];
  if (missing.length) {
    parts.push(`<p class="missing" data-missing="${missing.length}">Left out, no result in the cache: ${missing.map((s) => `<b>${esc(s.name)}</b>`).join(", ")}. Run the pipeline to fill them in.</p>`);
  }
  parts.push("<h2>Held-out accuracy</h2>", `<div class="charts">${figure(accuracyChart(r.stages))}</div>`);
  parts.push("<h2>Training</h2>");
  if (!training.length) parts.push('<p class="sub">No training stage has results in the cache.</p>');
  for (const s of training) {
    parts.push(`<section data-stage="${esc(s.name)}"><h3>${esc(s.name)} <span class="sub">${esc(s.op)}, ${s.metrics.steps.length} steps</span></h3>`);
    parts.push(`<div class="charts">${trainingCharts(s).map(figure).join("\n")}</div></section>`);
  }
  parts.push("<h2>Stages</h2>", "<table><thead><tr><th>stage</th><th>kind</th><th>backend</th><th>steps</th><th>final loss</th><th>accuracy</th><th>finished</th></tr></thead><tbody>");
  parts.push(...r.stages.map(stageRow), "</tbody></table>");
  parts.push("<h2>Stage graph</h2>", `<div class="dag-wrap">${r.dag}</div>`, "</body></html>");
  return `${parts.join("\n")}\n`;
}
