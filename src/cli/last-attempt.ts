import path from "node:path";
import type { RunNode } from "../cache/manifest.js";
import type { Store } from "../cache/store.js";

/** The newest attempt at a node recorded in a pipeline's runs, and the run it was in. */
export interface Attempt {
  readonly runId: string;
  readonly entry: RunNode;
}

/**
 * The newest run of `pipeline` (a path) that ran, restored or failed `node`: skipped entries are
 * no attempt. A shared cache holds other pipelines' runs, whose node names may collide.
 */
export async function lastAttempt(store: Store, pipeline: string, node: string): Promise<Attempt | undefined> {
  const want = path.resolve(pipeline);
  for (const run of await store.listRuns()) {
    if (path.resolve(run.pipeline) !== want) continue;
    const entry = run.nodes.find((n) => n.node === node && n.action !== "skipped");
    if (entry) return { runId: run.id, entry };
  }
  return undefined;
}
