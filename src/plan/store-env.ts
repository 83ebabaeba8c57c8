import path from "node:path";
import type { Store } from "../cache/store.js";
import type { StatCache } from "../cache/stat-cache.js";
import type { FingerprintRecord } from "./fingerprint.js";
import type { PlanEnv } from "./plan.js";

/** The plan's view of the cache and the files: digests through the stat cache, results from the store. */
export function storePlanEnv(store: Store, stats: StatCache, executor: "local" | "slurm" = "local", pipeline?: string): PlanEnv {
  let latest: Map<string, { fingerprint: string } | { failedIn: string; error: string }> | undefined;
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
      // The newest run of this pipeline that produced, restored or failed this node says what to
      // compare with (a shared cache holds other pipelines' runs, whose stage names may collide).
      if (!latest) {
        latest = new Map();
        for (const run of await store.listRuns()) {
          if (pipeline !== undefined && path.resolve(run.pipeline) !== pipeline) continue;
          for (const n of run.nodes) {
            if (latest.has(n.node)) continue;
            if (n.action === "ran" || n.action === "restored") latest.set(n.node, { fingerprint: n.fingerprint });
            else if (n.action === "failed") latest.set(n.node, { failedIn: run.id, error: ((n.error ?? "").split("\n")[0] ?? "").replace(/:$/, "") });
          }
        }
      }
      const last = latest.get(node);
      if (!last) return undefined;
      if ("failedIn" in last) return last;
      const m = await store.readManifest(last.fingerprint, { verify: false });
      return m.ok ? { fingerprint: last.fingerprint, record: m.manifest.record as FingerprintRecord } : undefined;
    },
  };
}
