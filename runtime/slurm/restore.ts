import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { digestFile } from "../../src/cache/digest.js";
import type { Store } from "../../src/cache/store.js";
import type { Canon, IrNode } from "../../src/ir/ir.js";

/**
 * Puts a cached command's declared outputs back where the pipeline expects them, as a local run
 * does for every cached command (jobs do it for the inputs they read). Returns a problem, if any.
 */
export async function restoreCommandOutputs(store: Store, fingerprint: string, node: IrNode, cwd: string): Promise<string | undefined> {
  const m = await store.readManifest(fingerprint);
  if (!m.ok) return m.detail;
  const p = node.params as Record<string, Canon>;
  const base = path.resolve(cwd, typeof p["cwd"] === "string" ? p["cwd"] : ".");
  for (const o of m.manifest.outputs) {
    const dest = path.resolve(base, o.name);
    const st = await stat(dest).catch(() => undefined);
    if (st?.isFile() && st.size === o.size && (await digestFile(dest)) === o.digest) continue;
    await mkdir(path.dirname(dest), { recursive: true });
    const r = await store.restore(o.digest, dest);
    if (!r.ok) return `cannot restore ${o.name}: ${r.detail}`;
  }
  return undefined;
}
