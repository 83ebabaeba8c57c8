import type { Plan, PlannedNode, Status } from "./plan.js";

const ANSI: Record<string, string> = { green: "\x1b[32m", yellow: "\x1b[33m", red: "\x1b[31m", dim: "\x1b[2m", bold: "\x1b[1m", cyan: "\x1b[36m" };
const paint = (on: boolean, c: string, s: string) => (on ? `${ANSI[c]}${s}\x1b[0m` : s);

const MARK: Record<Status, { sym: string; color: string; word: string }> = {
  cached: { sym: "✓", color: "green", word: "cached" },
  run: { sym: "▶", color: "yellow", word: "will run" },
  blocked: { sym: "✗", color: "red", word: "blocked" },
  skipped: { sym: "-", color: "dim", word: "skipped" },
  source: { sym: "·", color: "dim", word: "source" },
};

/** 2.1M, 16K, 300. */
export function compact(n: number): string {
  const abs = Math.abs(n);
  for (const [s, m] of [["T", 1e12], ["B", 1e9], ["M", 1e6], ["K", 1e3]] as const) if (abs >= m) return `${(n / m).toFixed(abs >= m * 10 ? 0 : 1)}${s}`;
  return String(Math.round(n));
}

function flops(n: number): string {
  return n >= 1e21 ? `${(n / 1e21).toFixed(1)} ZFLOP` : n >= 1e18 ? `${(n / 1e18).toFixed(1)} EFLOP` : n >= 1e15 ? `${(n / 1e15).toFixed(1)} PFLOP` : `${(n / 1e12).toFixed(1)} TFLOP`;
}

/** `(partition gpu, 8 GPUs, time 24:00:00)`. */
function resourcesText(r: PlannedNode["resources"]): string {
  if (!r || typeof r !== "object" || Array.isArray(r)) return "";
  const o = r as Record<string, unknown>;
  const parts = [
    o["partition"] !== undefined ? `partition ${String(o["partition"])}` : "",
    o["gpus"] !== undefined ? `${String(o["gpus"])} GPU${o["gpus"] === 1 ? "" : "s"}` : "",
    o["cpus"] !== undefined ? `${String(o["cpus"])} CPUs` : "",
    o["mem"] !== undefined ? `mem ${String(o["mem"])}` : "",
    o["time"] !== undefined ? `time ${String(o["time"])}` : "",
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

function duration(s: number): string {
  if (s < 1) return "<1 s";
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function costText(n: PlannedNode): string {
  const parts: string[] = [];
  if (n.cost.rows !== undefined) parts.push(`${compact(n.cost.rows)} rows`);
  if (n.cost.tokens !== undefined) parts.push(`${compact(n.cost.tokens)} tok`);
  if (n.cost.gpuHours !== undefined) parts.push(`${n.cost.gpuHours >= 10 ? Math.round(n.cost.gpuHours) : n.cost.gpuHours.toFixed(1)} GPU-h`);
  else if (n.cost.flops !== undefined) parts.push(flops(n.cost.flops));
  if (n.cost.localSeconds !== undefined) parts.push(`~${duration(n.cost.localSeconds)} local`);
  return parts.join(", ");
}

/** The human form of a plan: one line per node, reasons under those that run, totals last. */
export function renderPlan(plan: Plan, opts: { color: boolean; all?: boolean }): string {
  const c = opts.color;
  const lines: string[] = [];
  lines.push(paint(c, "bold", `plan for ${plan.entry} (pipeline ${plan.pipeline}, backend ${plan.backend}${plan.backendDetail ? `, ${plan.backendDetail}` : ""})`));
  const shown = plan.nodes.filter((n) => opts.all || n.kind === "stage" || n.status === "run" || n.status === "blocked" || n.notes?.length);
  const width = Math.min(32, Math.max(8, ...shown.map((n) => n.name.length)));
  for (const n of shown) {
    const m = MARK[n.status];
    const name = n.name.length > width ? `${n.name.slice(0, width - 1)}…` : n.name.padEnd(width);
    const kind = n.op.padEnd(9);
    const head = `${paint(c, m.color, `${m.sym} ${m.word.padEnd(8)}`)} ${name} ${paint(c, "dim", kind)}`;
    const cost = costText(n);
    const lr = n.lr ? `  lr ${n.lr}` : "";
    const where = n.status === "run" && n.where === "slurm" && n.kind === "stage" ? `  on slurm${resourcesText(n.resources)}` : "";
    lines.push(`${head} ${cost}${lr}${where}`.trimEnd());
    if (n.status === "run" || n.status === "blocked" || n.status === "skipped") {
      for (const r of n.reasons.slice(0, 6)) lines.push(`    ${paint(c, "cyan", "why:")} ${r}`);
      if (n.reasons.length > 6) lines.push(`    ${paint(c, "cyan", "why:")} ... and ${n.reasons.length - 6} more`);
    }
    for (const note of n.notes ?? []) lines.push(`    ${paint(c, "yellow", "note:")} ${note}`);
  }
  const hidden = plan.nodes.length - shown.length;
  const t = plan.totals;
  lines.push("");
  lines.push(
    `${t.run} to run, ${t.cached} cached${t.blocked ? `, ${t.blocked} blocked` : ""}${t.skipped ? `, ${t.skipped} skipped` : ""}` +
      `${t.flops ? `; ${flops(t.flops)}` : ""}${t.gpuHours ? `, ${t.gpuHours >= 10 ? Math.round(t.gpuHours) : t.gpuHours.toFixed(1)} GPU-hours` : ""}` +
      `${hidden ? ` (${hidden} cached or source data nodes not shown; --all shows them)` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

/** The machine form: the same content as the text, for --json and --yaml. */
export function planData(plan: Plan): Record<string, unknown> {
  return {
    pipeline: plan.pipeline,
    entry: plan.entry,
    backend: plan.backend,
    ...(plan.backendDetail ? { backendDetail: plan.backendDetail } : {}),
    totals: plan.totals,
    nodes: plan.nodes.map((n) => ({
      name: n.name,
      kind: n.kind,
      op: n.op,
      status: n.status,
      reasons: n.reasons,
      fingerprint: n.fingerprint,
      inputs: n.inputs,
      where: n.where,
      ...(n.resources !== null ? { resources: n.resources } : {}),
      cost: n.cost,
      ...(n.lr ? { lr: n.lr } : {}),
      ...(n.notes?.length ? { notes: n.notes } : {}),
      span: { file: n.span.file, start: n.span.start, end: n.span.end },
    })),
  };
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(planData(plan), null, 2)}\n`;
}

/** The YAML form; the yaml package is loaded only when asked for (it costs every plan otherwise). */
export async function renderPlanYaml(plan: Plan): Promise<string> {
  // A CommonJS package: bundled, its dynamic import has only a default export; from source, both.
  const yaml: { stringify?: (v: unknown) => string; default?: { stringify: (v: unknown) => string } } = await import("yaml");
  const stringify = yaml.stringify ?? yaml.default!.stringify;
  return stringify(planData(plan));
}
