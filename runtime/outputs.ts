import { link, lstat, mkdir, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { type Digest, digestFile } from "../src/cache/digest.js";
import { keptName } from "../src/cache/kept-name.js";
import type { ManifestOutput } from "../src/cache/manifest.js";
import type { Store } from "../src/cache/store.js";
import { partialOutputs } from "../src/cache/inflight.js";
import type { Canon, IrNode } from "../src/ir/ir.js";
import { commandDir } from "../src/ir/paths.js";

/**
 * A command's declared outputs in the working tree. Two rules keep them safe: a cached result is put
 * back byte for byte, and content that no run made (an output edited by hand, or a file that was
 * there before the pipeline) is never deleted or overwritten: it is first kept beside the output as
 * `<name>.kept` (`.kept.2`, ... when that is taken). Content that is in the cache is replaced freely,
 * since it can be brought back, and so is what a killed run's command left half-written.
 */

/** Where a command's declared output lives: relative to the command's directory (its file's, then its `cwd`). */
export function outputPath(node: IrNode, name: string): string {
  return path.resolve(commandDir(node), name);
}

/** The name the content of `file` is kept under: `file.kept`, or the first free `file.kept.N`. */
export async function keepAside(file: string): Promise<string> {
  for (let i = 1; ; i++) {
    const to = keptName(file, i);
    try {
      // A hard link fails when the name is taken, so two runs can never pick the same name.
      await link(file, to);
      await unlink(file);
      return to;
    } catch (err: unknown) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code === "ENOENT") throw err;
      // A filesystem without hard links: a rename onto a name that was free a moment ago.
      if ((await lstat(to).catch(() => undefined)) !== undefined) continue;
      await rename(file, to);
      return to;
    }
  }
}

/** A command's declared outputs, as absolute paths. */
export function declaredOutputs(node: IrNode): string[] {
  const outputs = (node.params as Record<string, Canon> | null)?.["outputs"];
  return Array.isArray(outputs) ? outputs.filter((o): o is string => typeof o === "string").map((o) => outputPath(node, o)) : [];
}

/**
 * Makes room for an output about to be written: when `file` holds content the cache does not have,
 * and that is not what a command of a run that died left half-written (see src/cache/inflight.ts),
 * it is kept aside and its new name returned; otherwise nothing is done.
 */
export async function keepUnknownContent(store: Store, file: string): Promise<string | undefined> {
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  const d = await digestFile(file).catch(() => undefined);
  if (d === undefined || (await store.has(d))) return undefined;
  if ((await partialOutputs(store.root)).has(path.resolve(file))) return undefined;
  return keepAside(file);
}

export type RestoreResult =
  /** `kept`: outputs kept aside, as paths to show. */
  | { readonly ok: true; readonly kept: readonly { readonly output: string; readonly as: string }[] }
  | { readonly ok: false; readonly output: string; readonly reason: "corrupt" | "missing"; readonly detail: string };

/**
 * Puts a cached command's declared outputs back in place. An output that already holds the cached
 * bytes is left alone; one that holds other content the cache does not have is kept aside first.
 */
export async function restoreOutputs(store: Store, outputs: readonly ManifestOutput[], node: IrNode, digest: (file: string) => Promise<Digest> = digestFile): Promise<RestoreResult> {
  const kept: { output: string; as: string }[] = [];
  for (const o of outputs) {
    const dest = outputPath(node, o.name);
    const st = await lstat(dest).catch(() => undefined);
    if (st?.isFile() && st.size === o.size && (await digest(dest).catch(() => undefined)) === o.digest) continue;
    if (st?.isDirectory()) throw new OutputInTheWay(`declared output ${o.name} is a directory: outputs are files, and stagecraft does not remove a directory to make room for one (move it away)`);
    const as = await keepUnknownContent(store, dest);
    if (as) kept.push({ output: shown(dest), as: shown(as) });
    await mkdir(path.dirname(dest), { recursive: true });
    const r = await store.restore(o.digest, dest);
    if (!r.ok) return { ok: false, output: o.name, reason: r.reason === "corrupt" ? "corrupt" : "missing", detail: r.detail };
  }
  return { ok: true, kept };
}

/** Something the user made stands where an output goes, and is not stagecraft's to remove. */
export class OutputInTheWay extends Error {}

/** A path as messages show it: from the directory stagecraft runs in, as the plan names files. */
export function shown(p: string): string {
  return path.relative(process.cwd(), p) || p;
}

/** The warning for an output kept aside. */
export function keptMessage(output: string, as: string, then: string): string {
  return `${output} held content that no run made (edited by hand, or there before); kept as ${as}, ${then}`;
}
