import { readFile } from "node:fs/promises";
import type { Store } from "../cache/store.js";
import type { Plan } from "../plan/plan.js";

/** One line of a training stage's per-step metrics: `step` and whatever numbers the runner wrote. */
export type StepRow = Readonly<Record<string, number>> & { readonly step: number };

export interface ParsedMetrics {
  readonly steps: readonly StepRow[];
  /** Held-out accuracy, from an eval stage's summary line. */
  readonly accuracy?: number;
  readonly rows?: number;
}

export type StageReport =
  | { readonly name: string; readonly op: string; readonly cached: true; readonly backend?: string; readonly finishedAt: string; readonly metrics: ParsedMetrics }
  | { readonly name: string; readonly op: string; readonly cached: false; readonly reason: string };

/**
 * Metrics objects are JSON lines: training runners write one per step (`step`, `loss`, `lr`, ...),
 * eval writes one summary (`accuracy`, `rows`). Lines that are not JSON objects are skipped: a
 * command stage's metrics may be anything.
 */
export function parseMetrics(text: string): ParsedMetrics {
  const steps: StepRow[] = [];
  let accuracy: number | undefined;
  let rows: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) continue;
    const o = v as Record<string, unknown>;
    const nums = Object.fromEntries(Object.entries(o).filter(([, x]) => typeof x === "number")) as Record<string, number>;
    if (typeof o["step"] === "number") steps.push(nums as StepRow);
    else if (typeof o["accuracy"] === "number") {
      accuracy = o["accuracy"];
      if (typeof o["rows"] === "number") rows = o["rows"];
    }
  }
  return { steps, ...(accuracy !== undefined ? { accuracy } : {}), ...(rows !== undefined ? { rows } : {}) };
}

/** Every stage of the plan, in pipeline order, with its cached metrics or the reason it has none. */
export async function collectStages(plan: Plan, store: Store): Promise<StageReport[]> {
  const out: StageReport[] = [];
  for (const n of plan.nodes) {
    if (n.kind !== "stage") continue;
    const m = n.status === "cached" ? await store.readManifest(n.fingerprint) : undefined;
    if (!m?.ok) {
      const reason = m ? m.detail : n.status === "run" ? `not in the cache: ${n.reasons[0] ?? "it would run"}` : `${n.status}${n.reasons[0] ? `: ${n.reasons[0]}` : ""}`;
      out.push({ name: n.name, op: n.op, cached: false, reason });
      continue;
    }
    const man = m.manifest;
    let metrics = man.metrics ? parseMetrics(await readFile(store.objectPath(man.metrics), "utf8")) : { steps: [] };
    // Older eval results may carry accuracy only in their metrics.json output.
    const evalOut = man.outputs.find((o) => o.name === "metrics.json");
    if (metrics.accuracy === undefined && evalOut) {
      const extra = parseMetrics((await readFile(store.objectPath(evalOut.digest), "utf8")).replace(/\n\s*/g, " "));
      if (extra.accuracy !== undefined) metrics = { ...metrics, ...extra, steps: metrics.steps };
    }
    out.push({ name: n.name, op: n.op, cached: true, finishedAt: man.finishedAt, metrics, ...(man.backend ? { backend: man.backend } : {}) });
  }
  return out;
}
