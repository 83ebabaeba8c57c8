import { readFileSync } from "node:fs";
import path from "node:path";
import type { SourceHost } from "../check/host.js";

/** Reads pipeline files from disk; unreadable files (missing, a directory, no permission) read as absent. */
export const fsHost: SourceHost = {
  read(p) {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return undefined;
    }
  },
  resolve(from, spec) {
    const resolved = path.isAbsolute(spec) ? spec : path.join(path.dirname(from), spec);
    return path.relative(process.cwd(), resolved) || resolved;
  },
};
