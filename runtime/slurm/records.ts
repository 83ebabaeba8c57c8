import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../src/cache/files.js";
import { fingerprintHex, isRecord } from "../../src/cache/manifest.js";
import type { Store } from "../../src/cache/store.js";

/**
 * What a job body leaves in the shared cache when it ends, so the submitter can tell success from
 * failure without accounting (no slurmdbd, so no sacct), and after Slurm has forgotten the job.
 * Filed by fingerprint under `<cache>/slurm/done/`; `jobId` ties it to one attempt.
 */
export interface CompletionRecord {
  readonly version: 1;
  readonly fingerprint: string;
  readonly node: string;
  readonly jobId: string;
  readonly ok: boolean;
  /** 0 on success; what the job exits with. */
  readonly exitStatus: number;
  readonly error?: string;
  /** The pipeline line of the node that failed: "p.sc:12". */
  readonly where?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  /** Every node the job ran (the stage and the transforms feeding it), with its time. */
  readonly ran: readonly { readonly node: string; readonly op: string; readonly seconds: number }[];
  readonly host: string;
}

export function slurmDir(store: Store): string {
  return path.join(store.root, "slurm");
}

function recordPath(store: Store, fingerprint: string): string {
  return path.join(slurmDir(store), "done", `${fingerprintHex(fingerprint)}.json`);
}

/** The job's log file (`%j` is the job id, filled in by Slurm). */
export function logPattern(store: Store, jobName: string): string {
  return path.join(slurmDir(store), "logs", `${jobName}.%j.log`);
}

export function logPath(store: Store, jobName: string, jobId: string): string {
  return logPattern(store, jobName).replace("%j", jobId);
}

export async function writeRecord(store: Store, r: CompletionRecord): Promise<void> {
  const dest = recordPath(store, r.fingerprint);
  await mkdir(path.dirname(dest), { recursive: true });
  await writeFileAtomic(store.tmpDir, dest, `${JSON.stringify(r, null, 2)}\n`, { durable: true });
}

export async function readRecord(store: Store, fingerprint: string): Promise<CompletionRecord | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(recordPath(store, fingerprint), "utf8"));
    if (!isRecord(v) || v["version"] !== 1 || typeof v["jobId"] !== "string" || typeof v["ok"] !== "boolean") return undefined;
    return v as unknown as CompletionRecord;
  } catch {
    return undefined;
  }
}

/** Removes a record left by an earlier attempt, before a new job for the same node is submitted. */
export async function clearRecord(store: Store, fingerprint: string): Promise<void> {
  await rm(recordPath(store, fingerprint), { force: true });
}

/** The fingerprint hexes that have a record: one directory listing per poll, not one open per job. */
export async function listRecords(store: Store): Promise<Set<string>> {
  try {
    return new Set((await readdir(path.join(slurmDir(store), "done"))).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)));
  } catch {
    return new Set();
  }
}

export function recordKey(fingerprint: string): string {
  return fingerprintHex(fingerprint);
}
