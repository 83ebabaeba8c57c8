import type { Canon } from "./ir.js";

/**
 * Learning-rate schedules as the runtime applies them, evaluated from their canonical form. A plain
 * number is a constant. `a then b` runs phases in sequence; a phase's length is its warm-up steps or
 * ratio, and the last phase takes the remaining steps. A warm-up rises linearly from 0 to its `to`,
 * or to the rate the next phase starts at.
 */
type Args = Record<string, Canon>;

interface Phase {
  readonly fn: string;
  readonly args: Args;
}

function phases(c: Canon): Phase[] {
  if (typeof c === "number") return [{ fn: "constant", args: { lr: c } }];
  if (c && typeof c === "object" && !Array.isArray(c)) {
    const o = c as Record<string, Canon>;
    if (Array.isArray(o["then"])) return (o["then"] as Canon[]).flatMap(phases);
    if (typeof o["call"] === "string") return [{ fn: o["call"], args: (o["args"] as Args | undefined) ?? {} }];
  }
  return [{ fn: "constant", args: { lr: 0 } }];
}

const num = (v: Canon | undefined, d: number): number => (typeof v === "number" ? v : d);

function startRate(p: Phase | undefined): number {
  if (!p) return 0;
  if (p.fn === "constant") return num(p.args["lr"], 0);
  if (p.fn === "warmup") return 0;
  return num(p.args["from"], 0);
}

function phaseLength(p: Phase, total: number): number | undefined {
  if (p.fn !== "warmup") return undefined;
  if (typeof p.args["steps"] === "number") return Math.min(total, p.args["steps"]);
  return Math.round(num(p.args["ratio"], 0) * total);
}

function rateIn(p: Phase, next: Phase | undefined, i: number, n: number): number {
  const t = n <= 1 ? 0 : i / (n - 1);
  switch (p.fn) {
    case "warmup": {
      const peak = typeof p.args["to"] === "number" ? p.args["to"] : startRate(next);
      return n <= 0 ? peak : (peak * (i + 1)) / n;
    }
    case "linear": {
      const from = num(p.args["from"], 0);
      return from + (num(p.args["to"], 0) - from) * t;
    }
    case "cosine": {
      const from = num(p.args["from"], 0);
      const min = num(p.args["min"], 0);
      return min + ((from - min) * (1 + Math.cos(Math.PI * t))) / 2;
    }
    case "multistep": {
      const milestones = Array.isArray(p.args["milestones"]) ? (p.args["milestones"] as Canon[]).filter((m): m is number => typeof m === "number") : [];
      const passed = milestones.filter((m) => t >= m).length;
      return num(p.args["from"], 0) * num(p.args["gamma"], 0.1) ** passed;
    }
    default:
      return num(p.args["lr"], 0);
  }
}

/** The learning rate at `step` (0-based) of `total` steps. */
export function lrAt(schedule: Canon, step: number, total: number): number {
  const ps = phases(schedule);
  let start = 0;
  for (let k = 0; k < ps.length; k++) {
    const p = ps[k]!;
    const last = k === ps.length - 1;
    const len = last ? Math.max(1, total - start) : (phaseLength(p, total) ?? Math.max(1, total - start));
    if (step < start + len || last) return rateIn(p, ps[k + 1], Math.min(step - start, len - 1), len);
    start += len;
  }
  return 0;
}

const BARS = "▁▂▃▄▅▆▇█";

/** A one-line picture of a schedule over a stage's steps. */
export function sparkline(schedule: Canon, total: number, width = 24): string {
  const n = Math.max(1, total);
  const pts = Array.from({ length: width }, (_, i) => lrAt(schedule, Math.floor((i * (n - 1)) / Math.max(1, width - 1)), n));
  const max = Math.max(...pts);
  if (!(max > 0)) return BARS[0]!.repeat(width);
  return pts.map((v) => BARS[Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)))]).join("");
}
