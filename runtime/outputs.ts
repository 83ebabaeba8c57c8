import { link, lstat, mkdir, readdir, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { type Digest, digestFile } from "../src/cache/digest.js";
import { keptName, originOf } from "../src/cache/kept.js";
import type { ManifestOutput } from "../src/cache/manifest.js";
import { pidAlive } from "../src/cache/lock-file.js";
import type { Store } from "../src/cache/store.js";
import type { Canon, IrNode } from "../src/ir/ir.js";
import { commandDir, shownPath } from "../src/ir/paths.js";

/**
 * A command's declared outputs in the working tree. Two rules keep them safe: a cached result is put
 * back byte for byte, and content that no run made (an output edited by hand, or a file that was
 * there before the pipeline) is never deleted or overwritten: it is first kept beside the output as
 * `<name>.kept` (`.kept.2`, ... when that is taken). Content that is in the cache is replaced freely,
 * since it can be brought back, and so is what a killed run's command left half-written (see
 * src/cache/kept.ts).
 */

/** Where a command's declared output lives: relative to the command's directory (its file's, then its `cwd`). */
export function outputPath(node: IrNode, name: string): string {
  return path.resolve(commandDir(node), name);
}

/** The name the content of `file` is kept under: `file.kept`, or the first free `file.kept.N`. */
async function keepAside(file: string): Promise<string> {
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

/** A file's digest, through the stat cache where the caller has one. */
export type DigestOf = (file: string) => Promise<Digest>;

/**
 * Makes room for an output about to be written: when the file there holds content no run made, it
 * is kept aside and its new name returned; otherwise nothing is done. `known` is its digest, when
 * the caller has already taken it.
 */
export async function keepUnknownContent(store: Store, file: string, digest: DigestOf = digestFile, known?: Digest): Promise<string | undefined> {
  const st = known === undefined ? await lstat(file).catch(() => undefined) : undefined;
  // A symbolic link someone put there is theirs too: the link itself is kept (even one that leads
  // nowhere); one that leads to a run's result is replaced like that result.
  const link = st?.isSymbolicLink() === true;
  if (known === undefined && !st?.isFile() && !link) return undefined;
  const d = known ?? (await digest(file).catch(() => undefined));
  if (d === undefined) return link ? keepAside(file) : undefined;
  if ((await originOf(store, file, d)) !== "unknown") return undefined;
  return keepAside(file);
}

/**
 * Before a command runs: keeps aside what its declared outputs hold that no run made (the command
 * removes them first), returning the warnings to show.
 */
export async function keepBeforeRunning(store: Store, node: IrNode, digest: DigestOf = digestFile): Promise<string[]> {
  const warnings: string[] = [];
  for (const file of declaredOutputs(node)) {
    await removeDeadRestores(file);
    const kept = await keepUnknownContent(store, file, digest).catch(() => undefined);
    if (kept) warnings.push(keptMessage(shownPath(file), shownPath(kept), "before running the command"));
  }
  return warnings;
}

export type RestoreResult =
  /** `kept`: outputs kept aside, as paths to show. */
  | { readonly ok: true; readonly kept: readonly { readonly output: string; readonly as: string }[] }
  | { readonly ok: false; readonly output: string; readonly reason: "corrupt" | "missing"; readonly detail: string };

/**
 * Puts a cached command's declared outputs back in place. An output that already holds the cached
 * bytes is left alone; one that holds other content the cache does not have is kept aside first.
 */
export async function restoreOutputs(store: Store, outputs: readonly ManifestOutput[], node: IrNode, digest: DigestOf = digestFile): Promise<RestoreResult> {
  const kept: { output: string; as: string }[] = [];
  for (const o of outputs) {
    const dest = outputPath(node, o.name);
    const st = await lstat(dest).catch(() => undefined);
    if (st?.isDirectory()) throw new OutputInTheWay(`declared output ${o.name} is a directory: outputs are files, and stagecraft does not remove a directory to make room for one (move it away)`);
    if (st?.isSymbolicLink()) {
      const as = await keepUnknownContent(store, dest, digest);
      if (as) kept.push({ output: shownPath(dest), as: shownPath(as) });
    } else if (st?.isFile()) {
      // One digest says both whether it is the cached result and, if not, whether it must be kept.
      const now = await digest(dest).catch(() => undefined);
      if (now === o.digest) continue;
      const as = now === undefined ? undefined : await keepUnknownContent(store, dest, digest, now);
      if (as) kept.push({ output: shownPath(dest), as: shownPath(as) });
    }
    await mkdir(path.dirname(dest), { recursive: true });
    await removeDeadRestores(dest);
    const r = await store.restore(o.digest, dest);
    if (!r.ok) return { ok: false, output: o.name, reason: r.reason === "corrupt" ? "corrupt" : "missing", detail: r.detail };
  }
  return { ok: true, kept };
}

/** Something the user made stands where an output goes, and is not stagecraft's to remove. */
export class OutputInTheWay extends Error {}

/** The warning for an output kept aside. */
export function keptMessage(output: string, as: string, then: string): string {
  return `${output} held content that no run made (edited by hand, or there before); kept as ${as}, ${then}`;
}

/**
 * Removes what a restore of `dest` left when its process was killed mid-copy: the scratch file
 * `.<name>.restore.<pid>.<random>.tmp` beside it (see Store.restore), once that pid is gone.
 */
async function removeDeadRestores(dest: string): Promise<void> {
  const dir = path.dirname(dest);
  const prefix = `.${path.basename(dest)}.restore.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) await rm(path.join(dir, name), { force: true });
  }
}
