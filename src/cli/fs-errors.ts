import { shownPath } from "../ir/paths.js";
import type { StoreOpenError } from "../cache/store-open.js";

/**
 * Problems of the machine rather than of stagecraft (no permission, a read-only or full disk), in
 * words. Errors with these codes that reach the CLI's entry are told as one line, not as a bug.
 */
const ENVIRONMENT: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ELOOP: "too many symbolic links (a link that leads back to itself)",
  EISDIR: "is a directory",
  ENOTDIR: "a part of the path is a file, not a directory",
  ENAMETOOLONG: "the name is too long",
  ENFILE: "too many open files in the system",
};

/** An error code in words: "read-only file system" for EROFS; an unknown code as itself. */
export function errnoWords(code: string | undefined): string {
  return (code !== undefined && ENVIRONMENT[code]) || code || "unknown error";
}

/** One line for an environment error (see ENVIRONMENT); undefined for anything else, which is a bug. */
export function describeEnvironmentError(e: unknown): string | undefined {
  if (!(e instanceof Error) || !("code" in e) || typeof e.code !== "string" || !(e.code in ENVIRONMENT)) return undefined;
  const p = "path" in e && typeof e.path === "string" ? e.path : undefined;
  const syscall = "syscall" in e && typeof e.syscall === "string" ? e.syscall : undefined;
  const what = p ? `cannot ${syscall ? `${syscall} ` : "use "}'${shownPath(p)}'` : "a file operation failed";
  return `${what}: ${errnoWords(e.code)}`;
}

/** Why the cache cannot be used by `command`, naming the path at fault and the way out. */
export function describeStoreOpenError(e: StoreOpenError, command: string): string {
  const root = shownPath(e.root);
  const elsewhere = "(--cache-dir DIR or STAGECRAFT_CACHE_DIR names another)";
  if (e.reason === "not-a-directory") return `cannot use '${root}' as the cache: '${shownPath(e.path)}' is not a directory ${elsewhere}`;
  const why = e.path === e.root ? errnoWords(e.code) : `'${shownPath(e.path)}': ${errnoWords(e.code)}`;
  return `the cache '${root}' is not writable (${why}), and ${command} needs to write to it ${elsewhere}`;
}
