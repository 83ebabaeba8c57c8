import { rm } from "node:fs/promises";
import type { Digest } from "./digest.js";
import { removeCounting, statIfExists } from "./files.js";
import { fingerprintHex, type ManifestObject, manifestObjects, type NodeManifest } from "./manifest.js";
import type { Store } from "./store.js";
import { SCRATCH_GRACE_MS } from "./verify.js";

export { parseSize } from "./size.js";

export interface GcOptions {
  /** Keep the manifests the last N runs used (ran or restored); all manifests when not given. */
  readonly keepLast?: number;
  /** Then drop least-recently-used manifests until objects, manifests and run records fit in this many bytes. */
  readonly maxSize?: number;
  /** Report what would be removed without removing it. */
  readonly dryRun?: boolean;
  readonly now?: number;
}

export interface GcReport {
  readonly removedManifests: readonly string[];
  readonly removedObjects: readonly Digest[];
  readonly removedTmp: readonly string[];
  /** Working directories of nodes whose result is committed: leftovers of a run killed in between. */
  readonly removedWork: readonly string[];
  readonly bytesFreed: number;
  /** Objects, manifests and run records left. */
  /** What the results, objects and run records kept take; scratch still in use is `scratchLeft`. */
  readonly bytesAfter: number;
  /** Scratch too recent to remove (another run may be writing it) and the work of unfinished nodes. */
  readonly scratchLeft: number;
}

interface Kept {
  readonly fingerprint: string;
  readonly objects: readonly ManifestObject[];
  readonly size: number;
  /** Index of the newest run that used it (0 = the latest run); Infinity when no run mentions it. */
  readonly rank: number;
  readonly finishedAt: string;
}

/**
 * Frees space. Must run under the run lock: a run that puts objects while gc decides what is
 * unreferenced could commit a manifest whose objects gc has just removed. Run records are kept
 * (they are small, and they are the history `runs` shows); unreadable manifests are removed, since
 * they can never be served; so is anything in tmp/ untouched for a minute, files and run working
 * directories alike, since under the lock no write can be in progress.
 */
export async function gc(store: Store, opts: GcOptions = {}): Promise<GcReport> {
  const removedManifests: string[] = [];
  const removedObjects: Digest[] = [];
  const removedTmp: string[] = [];
  const removedWork: string[] = [];
  let bytesFreed = 0;
  const remove = async (del: () => Promise<number>, size: number): Promise<number> => {
    const freed = opts.dryRun ? size : await del();
    bytesFreed += freed;
    return freed;
  };

  const runs = await store.listRuns();
  const rank = new Map<string, number>();
  runs.forEach((r, i) => {
    for (const n of r.nodes) {
      const hex = hexOrUndefined(n.fingerprint);
      if (hex !== undefined && !rank.has(hex)) rank.set(hex, i);
    }
  });
  const keepRank = opts.keepLast ?? Infinity;

  const kept = new Map<string, Kept>();
  for (const fingerprint of await store.listManifests()) {
    const read = await store.readManifest(fingerprint, { verify: false });
    const size = (await statIfExists(store.manifestPath(fingerprint)))?.size ?? 0;
    const r = rank.get(fingerprint) ?? Infinity;
    if (!read.ok || (opts.keepLast !== undefined && r >= keepRank)) {
      await remove(() => store.deleteManifest(fingerprint), size);
      removedManifests.push(fingerprint);
      continue;
    }
    const objects = manifestObjectsOf(read.manifest);
    kept.set(fingerprint, { fingerprint, objects, size, rank: r, finishedAt: read.manifest.finishedAt });
  }

  const refs = new Map<Digest, number>();
  for (const k of kept.values()) for (const o of k.objects) refs.set(o.digest, (refs.get(o.digest) ?? 0) + 1);
  // A failed attempt's logs are named by its run's record, not by a manifest: they are kept as
  // long as a result of that run would be, oldest run first when space runs short.
  const failedLogs: Digest[] = [];
  runs.forEach((r, i) => {
    if (i >= keepRank) return;
    for (const n of r.nodes) for (const d of [n.logs?.stdout, n.logs?.stderr]) if (d) failedLogs.push(d);
  });
  for (const d of failedLogs) refs.set(d, (refs.get(d) ?? 0) + 1);
  const objectSize = new Map<Digest, number>();
  for (const f of await store.listObjectFiles()) {
    const d = f.digest;
    if (!d) continue; // not ours to delete; verifyStore reports it
    if (refs.has(d)) objectSize.set(d, f.size);
    else {
      await remove(() => store.deleteObject(d), f.size);
      removedObjects.push(d);
    }
  }

  const now = opts.now ?? Date.now();
  let scratchLeft = 0;
  for (const f of await store.listScratch()) {
    if (now - f.mtimeMs <= SCRATCH_GRACE_MS) {
      scratchLeft += f.size;
      continue;
    }
    const del = f.isDir ? async () => (await rm(f.path, { recursive: true, force: true }), f.size) : () => removeCounting(f.path);
    await remove(del, f.size);
    removedTmp.push(f.path);
  }

  // A node's work directory holds the checkpoints an interrupted attempt resumes from; once the
  // node's result is committed nothing reads it (the executor removes it then, unless killed first).
  // The work of a node without a result is kept: the next run resumes from it.
  const committed = new Set(await store.listManifests());
  for (const w of await store.listWork()) {
    if (!committed.has(w.fingerprint)) {
      scratchLeft += w.size;
      continue;
    }
    await remove(async () => (await rm(w.path, { recursive: true, force: true }), w.size), w.size);
    removedWork.push(w.path);
  }

  let runBytes = 0;
  for (const e of await store.listRunEntries()) if (e.ok) runBytes += e.size;
  let total = runBytes + sum([...kept.values()].map((k) => k.size)) + sum([...objectSize.values()]);
  if (opts.maxSize !== undefined && total > opts.maxSize) {
    // Least recently used first: never used by a recorded run, then by the oldest run, then by age.
    const order = [...kept.values()].sort((a, b) => b.rank - a.rank || cmp(a.finishedAt, b.finishedAt));
    for (const k of order) {
      if (total <= opts.maxSize) break;
      total -= await remove(() => store.deleteManifest(k.fingerprint), k.size);
      removedManifests.push(k.fingerprint);
      for (const o of k.objects) {
        const left = (refs.get(o.digest) ?? 1) - 1;
        refs.set(o.digest, left);
        const size = objectSize.get(o.digest);
        if (left > 0 || size === undefined) continue;
        total -= await remove(() => store.deleteObject(o.digest), size);
        objectSize.delete(o.digest);
        removedObjects.push(o.digest);
      }
    }
    for (const d of failedLogs.reverse()) {
      if (total <= opts.maxSize) break;
      const left = (refs.get(d) ?? 1) - 1;
      refs.set(d, left);
      const size = objectSize.get(d);
      if (left > 0 || size === undefined) continue;
      total -= await remove(() => store.deleteObject(d), size);
      objectSize.delete(d);
      removedObjects.push(d);
    }
  }
  return { removedManifests, removedObjects, removedTmp, removedWork, bytesFreed, bytesAfter: total, scratchLeft };
}

/**
 * Removes what runs that died left in tmp/ (scratch files, a node's working space), once it has not
 * changed for SCRATCH_GRACE_MS, as gc does; a run calls it under the lock before it starts, so a
 * killed run's half-written rows do not stay in the cache until the next gc. Returns the bytes freed.
 */
export async function removeStaleScratch(store: Store, now = Date.now()): Promise<number> {
  let freed = 0;
  for (const f of await store.listScratch()) {
    if (now - f.mtimeMs <= SCRATCH_GRACE_MS) continue;
    freed += f.isDir ? (await rm(f.path, { recursive: true, force: true }), f.size) : await removeCounting(f.path);
  }
  return freed;
}

/** Each digest once, so a manifest listing one object twice does not count it twice. */
function manifestObjectsOf(m: NodeManifest): ManifestObject[] {
  const byDigest = new Map<Digest, ManifestObject>();
  for (const o of manifestObjects(m)) if (!byDigest.has(o.digest)) byDigest.set(o.digest, o);
  return [...byDigest.values()];
}

function hexOrUndefined(fingerprint: string): string | undefined {
  try {
    return fingerprintHex(fingerprint);
  } catch {
    return undefined;
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
