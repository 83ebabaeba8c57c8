import { createHash, type Hash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";

/** A content digest, `sha256:<64 lowercase hex>`. Branded so a fingerprint or a path cannot stand in for one. */
export type Digest = string & { readonly __brand: "Digest" };

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/**
 * Reads are this large because per-call overhead (a trip through libuv's thread pool) dominates
 * below a few MiB; at 4 MiB hashing a cached multi-GB file runs at the speed of `sha256sum`.
 */
export const READ_CHUNK = 4 * 1024 * 1024;
/** The smallest read: a file growing while it is hashed is read on in pieces of at least this. */
const MIN_CHUNK = 8 * 1024;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** The digest in `s`, or undefined when `s` is not one (e.g. read from a file that may be damaged). */
export function parseDigest(s: unknown): Digest | undefined {
  return typeof s === "string" && DIGEST_RE.test(s) ? (s as Digest) : undefined;
}

/** The 64 hex characters after `sha256:`. */
export function digestHex(d: Digest): string {
  return d.slice("sha256:".length);
}

export function digestOfHash(h: Hash): Digest {
  return `sha256:${h.digest("hex")}` as Digest;
}

export function digestBytes(buf: Uint8Array | string): Digest {
  return digestOfHash(createHash("sha256").update(buf));
}

export interface FileDigest {
  readonly digest: Digest;
  readonly size: number;
}

/** Streams a file through sha256; see `hashHandle`. */
export async function digestFile(path: string): Promise<Digest> {
  return (await hashPath(path)).digest;
}

export async function hashPath(path: string): Promise<FileDigest> {
  const fh = await open(path, "r");
  try {
    return await hashHandle(fh);
  } finally {
    await fh.close();
  }
}

/**
 * Hashes from the current start of `fh`, passing each chunk to `sink` (for copying) after hashing it.
 * Two buffers alternate so the next read runs in the thread pool while this one is hashed on the main
 * thread; that overlap is what keeps us near `sha256sum` instead of at the sum of read and hash time.
 * Hash.update consumes its input synchronously, so a buffer may be refilled once its sink is done.
 */
export async function hashHandle(
  fh: FileHandle,
  sink?: (chunk: Uint8Array) => Promise<void>,
): Promise<FileDigest> {
  const hash = createHash("sha256");
  // Buffers sized to the file: most files a pipeline hashes are small, and two 4 MiB buffers for
  // each made every command's outputs cost 8 MiB of memory outside the heap, and a collection.
  // A file that grows while it is read is still read to its end, a chunk at a time.
  const expected = (await fh.stat()).size;
  const chunk = Math.min(READ_CHUNK, Math.max(MIN_CHUNK, expected + 1));
  const bufs = [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)] as const;
  let size = 0;
  let which = 0;
  let pending = fh.read(bufs[0], 0, chunk, 0);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const current = bufs[which]!.subarray(0, bytesRead);
      size += bytesRead;
      which ^= 1;
      pending = fh.read(bufs[which]!, 0, chunk, size);
      hash.update(current);
      if (sink) await sink(current);
    }
  } catch (e) {
    // Settle the read in flight so it cannot surface later as an unhandled rejection.
    await pending.catch(() => undefined);
    throw e;
  }
  return { digest: digestOfHash(hash), size };
}

/**
 * JSON with object keys sorted (by UTF-16 code units, as Array#sort does), no whitespace, and numbers
 * as JavaScript prints them. Values JSON would silently drop or mangle are rejected instead, because a
 * fingerprint that quietly ignores a field is the worst kind of cache bug: undefined (also as a
 * property value), functions, symbols, bigints, NaN and ±Infinity, cycles, and objects that are not
 * plain (Map, Set, Date, class instances), which JSON.stringify would turn into `{}` or a string.
 * Throws a TypeError naming the path to the bad value; that is a bug in the caller, not user input.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, [], parts, new Set());
  return parts.join("");
}

export function digestJson(value: unknown): Digest {
  return digestBytes(canonicalJson(value));
}

/** Where a value sits, as `$.a[2].b`; built only for an error message (hashing builds no paths). */
function pathText(at: readonly (string | number)[]): string {
  return `$${at.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("")}`;
}

function write(v: unknown, at: (string | number)[], out: string[], open: Set<object>): void {
  switch (typeof v) {
    case "string":
      out.push(JSON.stringify(v));
      return;
    case "boolean":
      out.push(v ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${String(v)} at ${pathText(at)} has no JSON form`);
      out.push(JSON.stringify(v));
      return;
    case "object":
      if (v === null) {
        out.push("null");
        return;
      }
      if (open.has(v)) throw new TypeError(`canonicalJson: cycle at ${pathText(at)}`);
      open.add(v);
      if (Array.isArray(v)) writeArray(v, at, out, open);
      else writeObject(v, at, out, open);
      open.delete(v);
      return;
    default:
      throw new TypeError(`canonicalJson: ${typeof v} at ${pathText(at)} has no JSON form`);
  }
}

function writeArray(v: readonly unknown[], at: (string | number)[], out: string[], open: Set<object>): void {
  out.push("[");
  for (let i = 0; i < v.length; i++) {
    if (i > 0) out.push(",");
    at.push(i);
    write(v[i], at, out, open);
    at.pop();
  }
  out.push("]");
}

function writeObject(v: object, at: (string | number)[], out: string[], open: Set<object>): void {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
    throw new TypeError(`canonicalJson: ${typeof name === "string" ? name : "non-plain object"} at ${pathText(at)}`);
  }
  const rec = v as Readonly<Record<string, unknown>>;
  out.push("{");
  const keys = Object.keys(rec).sort();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) out.push(",");
    out.push(JSON.stringify(k), ":");
    at.push(k);
    write(rec[k], at, out, open);
    at.pop();
  }
  out.push("}");
}
