import path from "node:path";

/** A path as two declarations of one file compare: normalised, without a trailing slash (`out/dir/` is `out/dir`). */
export function samePath(p: string): string {
  return path.normalize(p).replace(/(.)\/+$/, "$1");
}
