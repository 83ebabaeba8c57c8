import path from "node:path";
import { type Digest, digestFile } from "../cache/digest.js";
import { nearestExisting, statIfExists } from "../cache/files.js";
import { shownPath } from "../ir/paths.js";

/** An output of a cached stage and where replay would put it. */
export interface Target {
  readonly name: string;
  readonly digest: Digest;
  readonly size: number;
  readonly dest: string;
}

/**
 * What stands where a target goes. `same`: the cached bytes already (nothing to write); `differs`:
 * other bytes, which replay replaces only when told to; `blocked`: something that can never be
 * replaced by a file (a directory at the destination, a file where a parent directory belongs).
 */
export type TargetState =
  | { readonly kind: "absent" | "same" | "differs" }
  | { readonly kind: "blocked"; readonly why: string };

export async function inspectTarget(t: Target): Promise<TargetState> {
  const parent = await nearestExisting(path.dirname(t.dest));
  if (!parent.isDirectory) return { kind: "blocked", why: `'${shownPath(parent.path)}' is a file, where a directory would have to be` };
  const st = await statIfExists(t.dest);
  if (!st) return { kind: "absent" };
  if (st.isDirectory()) return { kind: "blocked", why: `'${shownPath(t.dest)}' is a directory` };
  if (!st.isFile()) return { kind: "blocked", why: `'${shownPath(t.dest)}' is not a regular file` };
  if (st.size !== t.size) return { kind: "differs" };
  return (await digestFile(t.dest)) === t.digest ? { kind: "same" } : { kind: "differs" };
}

/** `--to DIR` must be a directory, or not exist yet (it is created). */
export async function checkDestination(dir: string): Promise<string | undefined> {
  const near = await nearestExisting(dir);
  if (near.isDirectory) return undefined;
  return near.path === path.resolve(dir) ? `--to '${dir}' is a file, not a directory` : `--to '${dir}': '${shownPath(near.path)}' is a file, not a directory`;
}
