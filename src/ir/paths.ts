import path from "node:path";
import type { Canon, IrNode } from "./ir.js";

/** A path as two declarations of one file compare: normalised, without a trailing slash (`out/dir/` is `out/dir`). */
export function samePath(p: string): string {
  return path.normalize(p).replace(/(.)\/+$/, "$1");
}

/** Where a command runs, so what its relative paths start from: its file's directory, then its `cwd`. */
export function commandBase(file: string, cwd: unknown): string {
  return path.join(path.dirname(file), typeof cwd === "string" ? cwd : ".");
}

/** `commandBase` of a lowered command stage. */
export function commandDir(node: IrNode): string {
  return commandBase(node.span.file, (node.params as Record<string, Canon> | null)?.["cwd"]);
}

/** A path as the user would write it: relative below the working directory, absolute elsewhere. */
export function shownPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? p : rel;
}
