import type { Store } from "../cache/store.js";
import type { StatCache } from "../cache/stat-cache.js";
import type { FingerprintRecord } from "./fingerprint.js";
import type { PlanEnv } from "./plan.js";

/** The plan's view of the cache and the files: digests through the stat cache, results from the store. */
export function storePlanEnv(store: Store, stats: StatCache, executor: "local" | "slurm" = "local"): PlanEnv {
  let latest: Map<string, string> | undefined;
  // One directory listing answers "never cached" for every node without opening a file each.
  let present: Promise<Set<string>> | undefined;
  return {
    executor,
    async digestFile(file) {
      try {
        return (await stats.digest(file)).digest;
      } catch {
        return undefined;
      }
    },
    async lookup(fingerprint) {
      present ??= store.listManifests().then((fps) => new Set(fps));
      if (!(await present).has(fingerprint)) return { ok: false, reason: "missing", detail: "no result with this fingerprint" };
      const r = await store.readManifest(fingerprint, { verify: true });
      if (r.ok) return { ok: true };
      const reason = r.reason === "object-missing" ? "object-missing" : r.reason === "missing" ? "missing" : "corrupt";
      return { ok: false, reason, detail: r.detail };
    },
    async previous(node) {
      // The newest run that produced or restored this node names the result to compare with.
      if (!latest) {
        latest = new Map();
        for (const run of await store.listRuns()) {
          for (const n of run.nodes) if ((n.action === "ran" || n.action === "restored") && !latest.has(n.node)) latest.set(n.node, n.fingerprint);
        }
      }
      const fp = latest.get(node);
      if (!fp) return undefined;
      const m = await store.readManifest(fp, { verify: false });
      return m.ok ? { fingerprint: fp, record: m.manifest.record as FingerprintRecord } : undefined;
    },
  };
}
