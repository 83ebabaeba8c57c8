import { closeSync, fstatSync, openSync, readFileSync, constants } from "node:fs";
import path from "node:path";
import type { SourceHost } from "../check/host.js";
import { errnoWords } from "./fs-errors.js";

/** Larger than any pipeline a person writes: beyond it a file is refused rather than read whole. */
const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

/**
 * Reads pipeline files from disk. A file that cannot be read (missing, a directory, no permission,
 * a FIFO or device, too large) reads as absent, and `why` says which: reading a FIFO or /dev/zero
 * would wait or grow forever, so only regular files are read.
 */
export const fsHost: SourceHost = {
  read(p) {
    return readSource(p).text;
  },
  why(p) {
    return readSource(p).why;
  },
  resolve(from, spec) {
    const resolved = path.isAbsolute(spec) ? spec : path.join(path.dirname(from), spec);
    return path.relative(process.cwd(), resolved) || resolved;
  },
};

function readSource(p: string): { readonly text?: string; readonly why?: string } {
  let fd: number;
  try {
    // Non-blocking, so opening a FIFO with no writer returns at once instead of waiting for one.
    fd = openSync(p, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { why: reason(e) };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { why: "is a directory" };
    if (!st.isFile()) return { why: "is not a regular file (a FIFO or a device)" };
    if (st.size > MAX_SOURCE_BYTES) return { why: `is larger than ${MAX_SOURCE_BYTES / 1024 / 1024} MiB, too large for a pipeline file` };
    // A byte-order mark is not part of the text: left in, it would shift every column of line 1.
    const text = readFileSync(fd, "utf8");
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch (e) {
    return { why: reason(e) };
  } finally {
    closeSync(fd);
  }
}

function reason(e: unknown): string {
  const code = e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
  // Missing is the common case, said as a file's; the rest in the words every message uses.
  return code === "ENOENT" ? "no such file" : errnoWords(code);
}

/** The line for a pipeline file that cannot be read: "stagecraft: cannot read 'p.sc': no such file". */
export function cannotRead(file: string, host: SourceHost = fsHost): string {
  const why = host.why?.(file);
  return `stagecraft: cannot read '${file}'${why ? `: ${why}` : ""}\n`;
}
