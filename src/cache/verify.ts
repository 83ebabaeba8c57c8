import path from "node:path";
import type { Digest } from "./digest.js";
import { manifestObjects } from "./manifest.js";
import type { Store } from "./store.js";

/** Scratch files younger than this may belong to a write in progress; older ones were left by a crash. */
export const SCRATCH_GRACE_MS = 60_000;

export type StoreProblem =
  | { readonly kind: "object-corrupt"; readonly digest: Digest; readonly detail: string }
  | { readonly kind: "object-misnamed"; readonly path: string }
  | { readonly kind: "manifest-corrupt"; readonly fingerprint: string; readonly detail: string }
  | { readonly kind: "manifest-object-missing"; readonly fingerprint: string; readonly digest: Digest; readonly detail: string }
  | { readonly kind: "manifest-object-corrupt"; readonly fingerprint: string; readonly digest: Digest; readonly detail: string }
  | { readonly kind: "run-corrupt"; readonly runId: string; readonly detail: string }
  | { readonly kind: "stray-tmp"; readonly path: string; readonly ageMs: number };

export interface VerifyOptions {
  /** Re-hash every object (the default); false checks presence and sizes only. */
  readonly rehash?: boolean;
  readonly now?: number;
}

/**
 * Checks the whole store and lists what is wrong; an empty list means every manifest can be served.
 * Each object is hashed once, and manifests are checked against those results.
 */
export async function verifyStore(store: Store, opts: VerifyOptions = {}): Promise<StoreProblem[]> {
  const problems: StoreProblem[] = [];
  const now = opts.now ?? Date.now();
  // digest → size when the object is sound, or "corrupt"
  const objects = new Map<Digest, number | "corrupt">();
  for (const f of await store.listObjectFiles()) {
    if (!f.digest) {
      problems.push({ kind: "object-misnamed", path: f.path });
      continue;
    }
    if (opts.rehash === false) {
      objects.set(f.digest, f.size);
      continue;
    }
    const check = await store.verifyObject(f.digest);
    objects.set(f.digest, check.ok ? check.size : "corrupt");
    if (!check.ok) problems.push({ kind: "object-corrupt", digest: f.digest, detail: check.detail });
  }
  for (const fingerprint of await store.listManifests()) {
    const read = await store.readManifest(fingerprint, { verify: false });
    if (!read.ok) {
      problems.push({ kind: "manifest-corrupt", fingerprint, detail: read.detail });
      continue;
    }
    for (const o of manifestObjects(read.manifest)) {
      const status = objects.get(o.digest);
      if (status === undefined) {
        const detail = `${o.label} (${o.digest}) is not in the store`;
        problems.push({ kind: "manifest-object-missing", fingerprint, digest: o.digest, detail });
      } else if (status === "corrupt" || (o.size !== undefined && status !== o.size)) {
        const detail = status === "corrupt" ? `${o.label} (${o.digest}) is corrupt` : `${o.label} is ${status} bytes, expected ${o.size}`;
        problems.push({ kind: "manifest-object-corrupt", fingerprint, digest: o.digest, detail });
      }
    }
  }
  for (const r of await store.listRunEntries()) {
    if (!r.ok) problems.push({ kind: "run-corrupt", runId: r.id, detail: r.detail });
  }
  // Directories in tmp/ are working space of runs, which may be live: gc (under the lock) clears them.
  for (const f of await store.listScratch()) {
    if (f.isDir) continue;
    const ageMs = now - f.mtimeMs;
    if (ageMs > SCRATCH_GRACE_MS) problems.push({ kind: "stray-tmp", path: f.path, ageMs });
  }
  return problems;
}

/** One line per problem, for `stagecraft cache verify`. */
export function describeProblem(p: StoreProblem): string {
  switch (p.kind) {
    case "object-corrupt":
      return `corrupt object: ${p.detail}`;
    case "object-misnamed":
      return `stray file among objects: ${p.path}`;
    case "manifest-corrupt":
      return `unreadable manifest ${p.fingerprint}: ${p.detail}`;
    case "manifest-object-missing":
    case "manifest-object-corrupt":
      return `manifest ${p.fingerprint}: ${p.detail}`;
    case "run-corrupt":
      return `unreadable run record ${p.runId}: ${p.detail}`;
    case "stray-tmp":
      return `left over from an interrupted write (${Math.round(p.ageMs / 1000)} s old): ${path.basename(p.path)}`;
    default:
      return unreachable(p);
  }
}

function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
