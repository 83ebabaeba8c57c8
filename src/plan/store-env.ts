import { lstat, stat } from "node:fs/promises";
import path from "node:path";
import { pipelineOf } from "../cache/manifest.js";
import type { Store } from "../cache/store.js";
import type { StatCache } from "../cache/stat-cache.js";
import { commandDir } from "../ir/paths.js";
import { freeKeptName, originOf } from "../cache/kept.js";
import type { FingerprintRecord } from "./fingerprint.js";
import { mapLimit } from "./map-limit.js";
import type { Lookup, PlanEnv, Previous } from "./plan.js";

const CACHED: Lookup = { ok: true };
const NOT_CACHED: Lookup = { ok: false, reason: "missing", detail: "no result with this fingerprint" };

/** How many results of a node, the last one included, a reason may be taken against. */
const EARLIER_RESULTS = 4;

/** The plan's view of the cache and the files: digests through the stat cache, results from the store. */
export function storePlanEnv(store: Store, stats: StatCache, executor: "local" | "slurm" = "local", pipeline?: string): PlanEnv {
  return {
    executor,
    async digestFile(file, opts) {
      try {
        if (opts?.fileOnly && (await stat(file)).isDirectory()) return { problem: "is a directory, not a file of rows" };
        return (await stats.digest(file)).digest;
      } catch (err: unknown) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        if (code === "EINVAL") return { problem: "is not a regular file or a directory (a FIFO or a device cannot be fingerprinted)" };
        if (code === "EACCES" || code === "EPERM") return { problem: "cannot be read (permission denied)" };
        return { problem: `cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})` };
      }
    },
    async lookup(fingerprints) {
      // One directory listing answers "never cached" for every node without opening a file each.
      const present = new Set(await store.listManifests());
      // Only those listed are opened and verified; the rest are answered without a promise each.
      const listed = fingerprints.filter((fp) => present.has(fp));
      const checked = new Map(
        await mapLimit(listed, 32, async (fp): Promise<[string, Lookup]> => {
          const r = await store.readManifest(fp, { verify: true, remembered: true });
          if (r.ok) return [fp, CACHED];
          return [fp, { ok: false, reason: r.reason === "object-missing" ? "object-missing" : r.reason === "missing" ? "missing" : "corrupt", detail: r.detail }];
        }),
      );
      return fingerprints.map((fp) => checked.get(fp) ?? NOT_CACHED);
    },
    async outputNotes(fingerprint, node) {
      const m = await store.readManifest(fingerprint, { verify: false, remembered: true });
      if (!m.ok) return [];
      const notes: string[] = [];
      for (const o of m.manifest.outputs) {
        const file = path.join(commandDir(node), o.name);
        const seen = stats.peek(file);
        if (seen.kind === "missing") {
          notes.push(`${file} is missing: run puts it back from the cache`);
          continue;
        }
        if (seen.kind === "other") {
          if ((await lstat(file).catch(() => undefined))?.isDirectory()) notes.push(`${file} is a directory now: run cannot put the cached file back until it is moved away`);
          continue;
        }
        if (seen.digest === o.digest) continue;
        const now = seen.digest ?? (await stats.digest(file).then((d) => d.digest, () => undefined));
        if (now === undefined) continue;
        if (now === o.digest) continue;
        const origin = await originOf(store, file, now);
        if (origin === "cache" || origin === "run") notes.push(`${file} holds the result of another run: run puts this one's back`);
        else if (origin === "half-written") notes.push(`${file} holds what a killed run's command left half-written: run puts the cached result back`);
        else notes.push(`${file} was changed since it was made: run keeps the changed file as ${await freeKeptName(file)} and puts the cached result back`);
      }
      return notes;
    },
    async recordOf(fingerprint) {
      const m = await store.readManifest(fingerprint, { verify: false, remembered: true });
      return m.ok ? (m.manifest.record as FingerprintRecord) : undefined;
    },
    async previous(nodes) {
      // The newest run of this pipeline that produced, restored or failed a node says what to
      // compare with (a shared cache holds other pipelines' runs, whose stage names may collide).
      if (nodes.length === 0) return [];
      const latest = new Map<string, { fingerprint: string } | { failedIn: string; error: string; fingerprint: string; record?: FingerprintRecord }>();
      // Earlier results of each node (distinct, newer first, a few), for the closest diff.
      const results = new Map<string, string[]>();
      const here = pipeline === undefined ? undefined : pipelineOf(store.root, pipeline).pipelineInCache;
      for (const run of await store.listRuns()) {
        const same = pipeline === undefined || path.resolve(run.pipeline) === pipeline || (here !== undefined && run.pipelineInCache === here);
        if (!same) continue;
        for (const n of run.nodes) {
          if (n.action === "ran" || n.action === "restored") {
            const seen = results.get(n.node) ?? results.set(n.node, []).get(n.node)!;
            if (seen.length < EARLIER_RESULTS && !seen.includes(n.fingerprint)) seen.push(n.fingerprint);
          }
          if (latest.has(n.node)) continue;
          if (n.action === "ran" || n.action === "restored") latest.set(n.node, { fingerprint: n.fingerprint });
          else if (n.action === "failed") {
            const error = ((n.error ?? "").split("\n")[0] ?? "").replace(/:$/, "");
            latest.set(n.node, { failedIn: run.id, error, fingerprint: n.fingerprint, ...(n.record ? { record: n.record as FingerprintRecord } : {}) });
          }
        }
      }
      // Only a node with an earlier result has a manifest to read; the rest are answered at once.
      const withResult = [...new Set(nodes)].flatMap((node) => {
        const last = latest.get(node);
        return last && !("failedIn" in last) ? [[node, last.fingerprint] as const] : [];
      });
      const recordOf = async (fingerprint: string): Promise<FingerprintRecord | undefined> => {
        const m = await store.readManifest(fingerprint, { verify: false });
        return m.ok ? (m.manifest.record as FingerprintRecord) : undefined;
      };
      const records = new Map(
        await mapLimit(withResult, 32, async ([node, fingerprint]): Promise<[string, Previous]> => {
          const record = await recordOf(fingerprint);
          if (!record) return [node, { fingerprint }];
          const others = (results.get(node) ?? []).filter((fp) => fp !== fingerprint);
          const earlier = (await Promise.all(others.map(recordOf))).filter((r): r is FingerprintRecord => r !== undefined);
          return [node, { fingerprint, record, ...(earlier.length ? { earlier } : {}) }];
        }),
      );
      return nodes.map((node) => {
        const last = latest.get(node);
        return last && "failedIn" in last ? last : records.get(node);
      });
    },
  };
}
