import { access, constants, open } from "node:fs/promises";
import { ensureDir, isErrno, nearestExisting, removeCounting, scratchName } from "./files.js";
import { Store } from "./store.js";

/**
 * What a command needs of the store. `read` creates nothing: a store that is not there reads as
 * empty, so plan, log and verify work on a read-only cache. `write` creates the layout and checks
 * that files can be created in it, before anything is run.
 */
export type StoreAccess = "read" | "write";

/** Why a store cannot be opened; the CLI says it in words. */
export interface StoreOpenError {
  /** not-a-directory: something else stands at `path`; not-writable: `path` cannot be written. */
  readonly reason: "not-a-directory" | "not-writable";
  /** The store's root, as resolved. */
  readonly root: string;
  /** Where the problem is: the root, a directory inside it, or an ancestor of it. */
  readonly path: string;
  /** The system's error code for not-writable (EROFS, EACCES, ENOSPC, ...). */
  readonly code?: string;
}

export type StoreOpen = { readonly ok: true; readonly store: Store } | { readonly ok: false; readonly error: StoreOpenError };

/**
 * Opens the store for what a command needs of it (see StoreAccess). A file where a directory of
 * the store belongs, or a store that cannot be written when writing is needed, comes back as a
 * value naming the path; other failures (a disk that fails to read) still throw.
 */
export async function openStoreFor(root: string, needs: StoreAccess): Promise<StoreOpen> {
  const s = Store.at(root);
  const fail = (reason: StoreOpenError["reason"], at: string, code?: string): StoreOpen => ({
    ok: false,
    error: { reason, root: s.root, path: at, ...(code !== undefined ? { code } : {}) },
  });
  for (const d of needs === "read" ? s.readLayout() : s.layout()) {
    const near = await nearestExisting(d);
    if (!near.isDirectory) return fail("not-a-directory", near.path);
  }
  if (needs === "read") return { ok: true, store: s };
  for (const d of s.layout()) {
    try {
      await ensureDir(d);
    } catch (e) {
      const near = await nearestExisting(d);
      if (!near.isDirectory) return fail("not-a-directory", near.path);
      return fail("not-writable", near.path, await writeErrorCode(near.path, e));
    }
  }
  // Existing directories open without a write; a read-only store shows itself only here.
  const probe = scratchName(s.tmpDir, "probe");
  try {
    await (await open(probe, "wx")).close();
  } catch (e) {
    return fail("not-writable", s.root, await writeErrorCode(s.tmpDir, e));
  }
  await removeCounting(probe);
  return { ok: true, store: s };
}


/** The code of a failed write under `dir`; a failed mkdir -p may say ENOENT where the cause was a parent it could not write. */
async function writeErrorCode(dir: string, e: unknown): Promise<string> {
  const code = e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : "EIO";
  if (code !== "ENOENT") return code;
  try {
    await access(dir, constants.W_OK);
    return code;
  } catch (again) {
    return isErrno(again, "EROFS", "EACCES", "EPERM") ? (again as NodeJS.ErrnoException).code! : code;
  }
}
