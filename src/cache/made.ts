import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Digest } from "./digest.js";
import { ensureDir, writeFileAtomic } from "./files.js";

/**
 * What runs last left at each command output: absolute path → digest, in `<store>/made.json`. Once
 * `cache gc` has dropped a result, the store no longer has its bytes, but the file in the working
 * tree is still a run's making, not the user's: the next run replaces it without keeping a copy
 * (see kept.ts). Entries are overwritten as outputs change; a lost update costs one needless
 * `.kept` copy, never a lost file.
 */
const FILE = "made.json";

export async function madeOutputs(root: string): Promise<ReadonlyMap<string, Digest>> {
  try {
    const v = JSON.parse(await readFile(path.join(root, FILE), "utf8")) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return new Map();
    return new Map(Object.entries(v as Record<string, unknown>).filter((e): e is [string, Digest] => typeof e[1] === "string" && e[1].startsWith("sha256:")));
  } catch {
    return new Map();
  }
}

/** Records what this run left at these outputs (absolute paths), merged into what is there. */
export async function recordMade(root: string, made: ReadonlyMap<string, Digest>): Promise<void> {
  if (made.size === 0) return;
  const all = new Map(await madeOutputs(root));
  let changed = false;
  for (const [file, digest] of made) {
    if (all.get(file) === digest) continue;
    all.set(file, digest);
    changed = true;
  }
  if (!changed) return;
  const scratch = path.join(root, "tmp");
  await ensureDir(scratch);
  await writeFileAtomic(scratch, path.join(root, FILE), JSON.stringify(Object.fromEntries(all)), { durable: false });
}
