import type { Canon } from "../../src/ir/ir.js";

/** Scheduler resources of one job, as the pipeline file writes them (`resources = { ... }`). */
export interface Resources {
  readonly partition?: string;
  readonly gpus?: number;
  readonly cpus?: number;
  readonly mem?: string;
  readonly time?: string;
  readonly sbatch?: readonly string[];
}

function record(v: Canon): Record<string, Canon> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, Canon>) : {};
}

function pick(r: Record<string, Canon>): Resources {
  const str = (k: string) => (typeof r[k] === "string" ? { [k]: r[k] as string } : {});
  const num = (k: string) => (typeof r[k] === "number" ? { [k]: r[k] as number } : {});
  const list = Array.isArray(r["sbatch"]) ? { sbatch: (r["sbatch"] as Canon[]).map(String) } : {};
  return { ...str("partition"), ...num("gpus"), ...num("cpus"), ...str("mem"), ...str("time"), ...list };
}

/**
 * A stage's own `resources` over the pipeline's defaults, key by key (a stage's `sbatch` list
 * replaces the default list). Data transforms that get a job of their own take the defaults
 * without GPUs: they stream rows on CPUs.
 */
export function effectiveResources(pipeline: Canon, node: Canon, kind: "data" | "stage"): Resources {
  const merged: Resources = { ...pick(record(pipeline)), ...pick(record(node)) };
  if (kind === "stage") return merged;
  const { gpus: _gpus, ...rest } = merged;
  return rest;
}

/** The sbatch options for these resources, in a fixed order. */
export function sbatchArgs(r: Resources): string[] {
  const out: string[] = [];
  if (r.partition) out.push(`--partition=${r.partition}`);
  if (r.gpus) out.push(`--gres=gpu:${r.gpus}`);
  if (r.cpus) out.push(`--cpus-per-task=${r.cpus}`);
  if (r.mem) out.push(`--mem=${r.mem}`);
  if (r.time) out.push(`--time=${r.time}`);
  out.push(...(r.sbatch ?? []));
  return out;
}

/** "partition gpu, 8 GPUs, 24:00:00" for plans and status lines; "" when nothing is asked for. */
export function describeResources(r: Resources): string {
  const parts: string[] = [];
  if (r.partition) parts.push(`partition ${r.partition}`);
  if (r.gpus) parts.push(`${r.gpus} GPU${r.gpus === 1 ? "" : "s"}`);
  if (r.cpus) parts.push(`${r.cpus} CPU${r.cpus === 1 ? "" : "s"}`);
  if (r.mem) parts.push(`mem ${r.mem}`);
  if (r.time) parts.push(`time ${r.time}`);
  if (r.sbatch?.length) parts.push(r.sbatch.join(" "));
  return parts.join(", ");
}
