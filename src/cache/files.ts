import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { type FileDigest, hashHandle } from "./digest.js";
import type { Parsed } from "./manifest.js";

/**
 * File helpers for the store. Writes are crash-safe: everything is written to a scratch file on the
 * same filesystem and renamed into place, so a reader (or a process that starts after a crash) sees
 * the old file or the new one, never half of one.
 */

/** A scratch name no other process or call will pick: pid for humans reading tmp/, random for uniqueness. */
export function scratchName(dir: string, hint: string): string {
  return path.join(dir, `${hint}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

export interface WriteOptions {
  /**
   * fsync the data before the rename and the directory after it. Needed where a later write must not
   * become durable before this one (objects before the manifest that lists them); a cache of stat
   * results or a lock heartbeat can skip it, since losing them costs only time.
   */
  readonly durable: boolean;
  /** Permission bits of the new file; objects are created read-only as a guard against editing them in place. */
  readonly mode?: number;
}

export async function writeFileAtomic(
  scratchDir: string,
  dest: string,
  data: string | Uint8Array,
  opts: WriteOptions,
): Promise<void> {
  const tmp = scratchName(scratchDir, path.basename(dest));
  const fh = await open(tmp, "wx", opts.mode ?? 0o666);
  try {
    await fh.writeFile(data);
    if (opts.durable) await fh.sync();
  } catch (e) {
    await fh.close();
    await removeQuietly(tmp);
    throw e;
  }
  await fh.close();
  await commit(tmp, dest, opts);
}

/** Renames a finished scratch file into place; on failure the scratch file is removed. */
export async function commit(tmp: string, dest: string, opts: WriteOptions): Promise<void> {
  try {
    await rename(tmp, dest);
  } catch (e) {
    await removeQuietly(tmp);
    throw e;
  }
  if (opts.durable) await fsyncDir(path.dirname(dest));
}

/** Makes the rename of an entry in `dir` durable. Some platforms cannot open or sync a directory; there the rename is as durable as the OS makes it. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch (e) {
    if (!isErrno(e, "EISDIR", "EINVAL", "EPERM", "EACCES", "ENOTSUP")) throw e;
  } finally {
    await fh?.close();
  }
}

/** mkdir -p, syncing the parent of each directory it creates so the new entries survive a crash. */
export async function ensureDir(dir: string): Promise<void> {
  // One level at a time from the nearest directory that exists: Node's recursive mkdir retries
  // forever where a parent exists but refuses children (a directory of /proc).
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (await statIfExists(d)) break;
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (e) {
      if (isErrno(e, "EEXIST")) continue;
      throw e;
    }
    await fsyncDir(path.dirname(d));
  }
}

export async function removeQuietly(p: string): Promise<void> {
  try {
    await unlink(p);
  } catch {
    // Already gone, or never created: either way there is nothing left to clean up.
  }
}

export function isErrno(e: unknown, ...codes: readonly string[]): boolean {
  return e instanceof Error && "code" in e && typeof e.code === "string" && codes.includes(e.code);
}

/** Writes all of `chunk` at the handle's current position; a regular file may accept a write in parts. */
export async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
}

/** Opens for reading; undefined when the file does not exist. */
export async function openIfExists(p: string): Promise<FileHandle | undefined> {
  try {
    return await open(p, "r");
  } catch (e) {
    if (isErrno(e, "ENOENT", "ENOTDIR")) return undefined;
    throw e;
  }
}

export async function statIfExists(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch (e) {
    if (isErrno(e, "ENOENT", "ENOTDIR")) return undefined;
    throw e;
  }
}

export async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isErrno(e, "ENOENT", "ENOTDIR")) return [];
    throw e;
  }
}

/** Total size of the files under `p`, and the newest mtime among them and their directories. */
export async function treeStat(p: string): Promise<{ readonly size: number; readonly newestMtimeMs: number } | undefined> {
  const s = await statIfExists(p);
  if (!s) return undefined;
  if (!s.isDirectory()) return { size: s.isFile() ? s.size : 0, newestMtimeMs: s.mtimeMs };
  let size = 0;
  let newestMtimeMs = s.mtimeMs;
  for (const name of await readdirIfExists(p)) {
    const sub = await treeStat(path.join(p, name));
    size += sub?.size ?? 0;
    newestMtimeMs = Math.max(newestMtimeMs, sub?.newestMtimeMs ?? 0);
  }
  return { size, newestMtimeMs };
}

/** Removes a file and returns its size, or 0 when it was already gone. Anything but a file is left alone. */
export async function removeCounting(p: string): Promise<number> {
  const s = await statIfExists(p);
  // A directory under a store path is not ours (someone put it there): never deleted with what it holds.
  if (!s?.isFile()) return 0;
  try {
    await unlink(p);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return 0;
    throw e;
  }
  return s.size;
}

export type JsonRead<T> =
  | { readonly ok: true; readonly value: T; readonly size: number }
  | { readonly ok: false; readonly reason: "missing" | "corrupt"; readonly detail: string };

/** Reads and shape-checks a JSON file; a missing, unparsable or ill-shaped file is a value, not an exception. */
export async function readJson<T>(file: string, parse: (v: unknown) => Parsed<T>): Promise<JsonRead<T>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if (isErrno(e, "ENOENT", "ENOTDIR")) return { ok: false, reason: "missing", detail: `${path.basename(file)} does not exist` };
    // A directory where a record should be can never be read as one: damage to report, not a crash.
    if (isErrno(e, "EISDIR")) return { ok: false, reason: "corrupt", detail: `${path.basename(file)} is a directory` };
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: "corrupt", detail: `${path.basename(file)} is not valid JSON (${String(e)})` };
  }
  const parsed = parse(json);
  if (!parsed.ok) return { ok: false, reason: "corrupt", detail: `${path.basename(file)}: ${parsed.error}` };
  return { ok: true, value: parsed.value, size: Buffer.byteLength(text) };
}

/**
 * Copies `src` into a new scratch file while hashing it, so what is kept is exactly what was hashed.
 * `keep` sees the digest and decides: kept copies are fsynced and left for the caller to commit,
 * the others are removed.
 */
export async function copyHashing(
  src: FileHandle,
  tmp: string,
  mode: number,
  keep: (got: FileDigest) => Promise<boolean>,
): Promise<FileDigest & { readonly kept: boolean }> {
  try {
    const out = await open(tmp, "wx", mode);
    let got: FileDigest;
    let kept: boolean;
    try {
      got = await hashHandle(src, (chunk) => writeAll(out, chunk));
      kept = await keep(got);
      if (kept) await out.sync();
    } finally {
      await out.close();
    }
    if (!kept) await removeQuietly(tmp);
    return { ...got, kept };
  } catch (e) {
    await removeQuietly(tmp);
    throw e;
  }
}

/**
 * The nearest of `p` and its ancestors that exists, with what it is: where a directory that cannot
 * be created is blocked (a file in the way, or a parent that cannot be written).
 */
export async function nearestExisting(p: string): Promise<{ readonly path: string; readonly isDirectory: boolean }> {
  for (let d = path.resolve(p); ; d = path.dirname(d)) {
    const s = await statIfExists(d);
    if (s) return { path: d, isDirectory: s.isDirectory() };
    if (path.dirname(d) === d) return { path: d, isDirectory: true };
  }
}

export interface Tail {
  /** The last lines, oldest first, without their line ends. */
  readonly lines: readonly string[];
  /** Lines in the whole file (a last line without a line end counts). */
  readonly total: number;
}

/**
 * The last `n` lines of a text file of any size and how many it has, read in chunks: a log of
 * gigabytes is counted, never held. Lines longer than `window` bytes are cut to their end.
 */
export async function tailLines(file: string, n: number, window = 64 * 1024): Promise<Tail> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.min(Math.max(size, 1), 1 << 20));
    let total = 0;
    let lastByte = -1;
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) total++;
      lastByte = chunk[bytesRead - 1]!;
      pos += bytesRead;
    }
    if (size > 0 && lastByte !== 10) total++;
    const len = Math.min(size, window);
    const end = Buffer.alloc(len);
    if (len > 0) await fh.read(end, 0, len, size - len);
    const lines = end.toString("utf8").trimEnd().split("\n");
    // A window that starts mid-line holds only the end of that line: dropped unless it is all there is.
    if (len < size && lines.length > 1) lines.shift();
    return { lines: size === 0 ? [] : lines.slice(-n), total };
  } finally {
    await fh.close();
  }
}
