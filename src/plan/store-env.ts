import path from "node:path";
import type { Store } from "../cache/store.js";
import type { StatCache } from "../cache/stat-cache.js";
import type { FingerprintRecord } from "./fingerprint.js";
import type { Lookup, PlanEnv, Previous } from "./plan.js";

const CACHED: Lookup = { ok: true };
const NOT_CACHED: Lookup = { ok: false, reason: "missing", detail: "no result with this fingerprint" };

/** Runs `fn` over `items` with at most `limit` in flight (file IO is faster in parallel). */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The plan's view of the cache and the files: digests through the stat cache, results from the store. */
export function storePlanEnv(store: Store, stats: StatCache, executor: "local" | "slurm" = "local", pipeline?: string): PlanEnv {
  return {
    executor,
    async digestFile(file) {
      try {
        return (await stats.digest(file)).digest;
      } catch {
        return undefined;
      }
    },
    async lookup(fingerprints) {
      // One directory listing answers "never cached" for every node without opening a file each.
      const present = new Set(await store.listManifests());
      const out: Lookup[] = fingerprints.map(() => NOT_CACHED);
      const check = fingerprints.flatMap((fp, i) => (present.has(fp) ? [i] : []));
      await forEachLimit(check, 32, async (i) => {
        const r = await store.readManifest(fingerprints[i]!, { verify: true });
        const reason = !r.ok && r.reason === "object-missing" ? "object-missing" : !r.ok && r.reason === "missing" ? "missing" : "corrupt";
        out[i] = r.ok ? CACHED : { ok: false, reason, detail: r.detail };
      });
      return out;
    },
    async previous(nodes) {
      // The newest run of this pipeline that produced, restored or failed a node says what to
      // compare with (a shared cache holds other pipelines' runs, whose stage names may collide).
      if (nodes.length === 0) return [];
      const latest = new Map<string, { fingerprint: string } | { failedIn: string; error: string }>();
      for (const run of await store.listRuns()) {
        if (pipeline !== undefined && path.resolve(run.pipeline) !== pipeline) continue;
        for (const n of run.nodes) {
          if (latest.has(n.node)) continue;
          if (n.action === "ran" || n.action === "restored") latest.set(n.node, { fingerprint: n.fingerprint });
          else if (n.action === "failed") latest.set(n.node, { failedIn: run.id, error: ((n.error ?? "").split("\n")[0] ?? "").replace(/:$/, "") });
        }
      }
      const out: Previous[] = nodes.map(() => undefined);
      await forEachLimit(
        nodes.map((_, i) => i),
        32,
        async (i) => {
          const last = latest.get(nodes[i]!);
          if (!last) return;
          if ("failedIn" in last) out[i] = last;
          else {
            const m = await store.readManifest(last.fingerprint, { verify: false });
            if (m.ok) out[i] = { fingerprint: last.fingerprint, record: m.manifest.record as FingerprintRecord };
          }
        },
      );
      return out;
    },
  };
}
