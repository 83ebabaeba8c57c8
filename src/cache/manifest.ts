import { randomBytes } from "node:crypto";
import path from "node:path";
import { type Digest, parseDigest } from "./digest.js";

/** What the store keeps for one executed node: its outputs, logs and the record its fingerprint hashes. */
export interface NodeManifest {
  readonly version: 1;
  readonly fingerprint: string;
  /** The node's name in the pipeline. */
  readonly node: string;
  readonly kind: string;
  readonly outputs: readonly ManifestOutput[];
  /** The canonical fingerprint record, kept so the next plan can diff it field by field. */
  readonly record: unknown;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly backend?: string;
  readonly metrics?: Digest;
  readonly logs?: { readonly stdout?: Digest; readonly stderr?: Digest };
  /** The result in a few words ("accuracy 61.0% (61/100)"), shown again when it is restored. */
  readonly summary?: string;
}

export interface ManifestOutput {
  readonly name: string;
  readonly digest: Digest;
  readonly size: number;
}

export type RunStatus = "running" | "ok" | "failed" | "interrupted";
export type NodeAction = "ran" | "restored" | "failed" | "skipped";

/** The error of a node a signal stopped while it ran: recorded as failed, counted as interrupted. */
export const INTERRUPTED_ERROR = "interrupted while it ran";

export interface RunNode {
  readonly node: string;
  readonly fingerprint: string;
  readonly action: NodeAction;
  readonly seconds?: number;
  readonly error?: string;
  /** A failed attempt's logs, kept as objects: it leaves no manifest to name them. */
  readonly logs?: AttemptLogs;
  /** A failed attempt's fingerprint record, so the next plan can say what changed since. */
  readonly record?: unknown;
}

export interface AttemptLogs {
  readonly stdout?: Digest;
  readonly stderr?: Digest;
}

/** How a run record names its pipeline file (see RunRecord.pipeline and pipelineInCache). */
export function pipelineOf(storeRoot: string, entry: string): Pick<RunRecord, "pipeline" | "pipelineInCache"> {
  const pipeline = path.resolve(entry);
  const inCache = path.relative(path.resolve(storeRoot), pipeline);
  // Only a pipeline under the directory that holds the cache (as .stagecraft beside it is): a
  // shared cache elsewhere keys on the absolute path alone.
  const beside = inCache.startsWith("../") && !inCache.startsWith("../../");
  return beside ? { pipeline, pipelineInCache: inCache } : { pipeline };
}

/** Written with status "running" when a run starts and rewritten as it goes, so a crash leaves a record saying so. */
export interface RunRecord {
  readonly version: 1;
  readonly id: string;
  readonly pipeline: string;
  /**
   * The pipeline file relative to the cache's root, when the cache sits beside it: a project moved
   * with its cache (or reached by another path) still finds its history.
   */
  readonly pipelineInCache?: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly status: RunStatus;
  readonly nodes: readonly RunNode[];
}

/** One object a manifest depends on, with a label for messages ("output 'model'", "stdout log"). */
export interface ManifestObject {
  readonly label: string;
  readonly digest: Digest;
  /** Known for outputs, which lets a cheap check catch a truncated object without re-hashing. */
  readonly size?: number;
}

export function manifestObjects(m: NodeManifest): ManifestObject[] {
  const out: ManifestObject[] = m.outputs.map((o) => ({ label: `output '${o.name}'`, digest: o.digest, size: o.size }));
  if (m.metrics) out.push({ label: "metrics", digest: m.metrics });
  if (m.logs?.stdout) out.push({ label: "stdout log", digest: m.logs.stdout });
  if (m.logs?.stderr) out.push({ label: "stderr log", digest: m.logs.stderr });
  return out;
}

/** The hex a fingerprint is filed under; accepts `sha256:<hex>` or bare hex. Anything else is a caller bug. */
export function fingerprintHex(fingerprint: string): string {
  const hex = fingerprint.startsWith("sha256:") ? fingerprint.slice("sha256:".length) : fingerprint;
  if (!/^[0-9a-f]{16,128}$/.test(hex)) throw new TypeError(`not a fingerprint: ${JSON.stringify(fingerprint)}`);
  return hex;
}

/** Run ids sort by start time (to the second; `listRuns` breaks ties by `startedAt`), and never collide. */
export function newRunId(now: Date = new Date(), pid: number = process.pid): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${stamp}-${pid}-${randomBytes(3).toString("hex")}`;
}

export function isRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(id);
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Checks the shape of a manifest read from disk (or handed to writeManifest), naming the first thing wrong. */
export function parseManifest(v: unknown): Parsed<NodeManifest> {
  if (!isRecord(v)) return bad("not a JSON object");
  if (v["version"] !== 1) return bad(`unknown version ${JSON.stringify(v["version"])}`);
  for (const k of ["fingerprint", "node", "kind", "runId", "startedAt", "finishedAt"] as const) {
    if (typeof v[k] !== "string") return bad(`'${k}' is not a string`);
  }
  if (v["backend"] !== undefined && typeof v["backend"] !== "string") return bad("'backend' is not a string");
  if (v["summary"] !== undefined && typeof v["summary"] !== "string") return bad("'summary' is not a string");
  if (!("record" in v)) return bad("'record' is missing");
  const outputs = v["outputs"];
  if (!Array.isArray(outputs)) return bad("'outputs' is not a list");
  for (const [i, o] of outputs.entries()) {
    if (!isRecord(o) || typeof o["name"] !== "string") return bad(`outputs[${i}] has no name`);
    if (!parseDigest(o["digest"])) return bad(`outputs[${i}].digest is not a sha256 digest`);
    if (!Number.isSafeInteger(o["size"]) || (o["size"] as number) < 0) return bad(`outputs[${i}].size is not a size`);
  }
  if (v["metrics"] !== undefined && !parseDigest(v["metrics"])) return bad("'metrics' is not a sha256 digest");
  const logs = v["logs"];
  if (logs !== undefined) {
    if (!isRecord(logs)) return bad("'logs' is not an object");
    for (const k of ["stdout", "stderr"] as const) {
      if (logs[k] !== undefined && !parseDigest(logs[k])) return bad(`'logs.${k}' is not a sha256 digest`);
    }
  }
  return { ok: true, value: v as unknown as NodeManifest };
}

const RUN_STATUSES: readonly string[] = ["running", "ok", "failed", "interrupted"] satisfies RunStatus[];
const NODE_ACTIONS: readonly string[] = ["ran", "restored", "failed", "skipped"] satisfies NodeAction[];

export function parseRunRecord(v: unknown): Parsed<RunRecord> {
  if (!isRecord(v)) return bad("not a JSON object");
  if (v["version"] !== 1) return bad(`unknown version ${JSON.stringify(v["version"])}`);
  for (const k of ["id", "pipeline", "startedAt"] as const) {
    if (typeof v[k] !== "string") return bad(`'${k}' is not a string`);
  }
  if (!isRunId(v["id"] as string)) return bad("'id' is not a run id");
  if (v["finishedAt"] !== undefined && typeof v["finishedAt"] !== "string") return bad("'finishedAt' is not a string");
  if (!RUN_STATUSES.includes(v["status"] as string)) return bad(`unknown status ${JSON.stringify(v["status"])}`);
  const nodes = v["nodes"];
  if (!Array.isArray(nodes)) return bad("'nodes' is not a list");
  for (const [i, n] of nodes.entries()) {
    if (!isRecord(n) || typeof n["node"] !== "string" || typeof n["fingerprint"] !== "string") {
      return bad(`nodes[${i}] needs a node and a fingerprint`);
    }
    if (!NODE_ACTIONS.includes(n["action"] as string)) return bad(`nodes[${i}] has unknown action`);
    const logs = n["logs"];
    if (logs !== undefined && !(isRecord(logs) && ["stdout", "stderr"].every((k) => logs[k] === undefined || parseDigest(logs[k]) !== undefined))) {
      return bad(`nodes[${i}] has logs that are not digests`);
    }
  }
  return { ok: true, value: v as unknown as RunRecord };
}

function bad(error: string): { readonly ok: false; readonly error: string } {
  return { ok: false, error };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
