import { lstat } from "node:fs/promises";
import path from "node:path";
import type { Digest } from "./digest.js";
import { partialOutputs } from "./inflight.js";
import { madeOutputs } from "./made.js";
import type { Store } from "./store.js";

/**
 * Content found where an output goes, other than the cached result. Content that no run made is
 * never deleted or overwritten: before an output is written over, such content is kept beside it as
 * `<file>.kept`, then `<file>.kept.2`, `<file>.kept.3`, ... (see runtime/outputs.ts). The plan says
 * which of these an output holds; the run acts on it.
 */
export type Origin =
  /** A run's result: the cache holds it, so it can be brought back. */
  | "cache"
  /** A run's result whose cache entry is gone (`cache gc`): made by a run, not by hand (made.ts). */
  | "run"
  /** What a command of a run that was killed left half-written (src/cache/inflight.ts). */
  | "half-written"
  /** Neither: edited by hand, or there before the pipeline. */
  | "unknown";

/** Where the content of `file`, whose digest is `digest`, came from. */
export async function originOf(store: Store, file: string, digest: Digest): Promise<Origin> {
  if (await store.has(digest)) return "cache";
  if ((await partialOutputs(store.root)).has(path.resolve(file))) return "half-written";
  if ((await madeOutputs(store.root)).get(path.resolve(file)) === digest) return "run";
  return "unknown";
}

/** The name content is kept under on its `attempt`-th try: `<file>.kept`, then `<file>.kept.N`. */
export function keptName(file: string, attempt: number): string {
  return attempt === 1 ? `${file}.kept` : `${file}.kept.${attempt}`;
}

/** The first kept name not taken now (what a run would use, unless another takes it first). */
export async function freeKeptName(file: string): Promise<string> {
  for (let i = 1; ; i++) {
    const name = keptName(file, i);
    if ((await lstat(name).catch(() => undefined)) === undefined) return name;
  }
}
