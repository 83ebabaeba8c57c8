import { type BigIntStats, statSync } from "node:fs";
import { open, readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { ensureDir, writeFileAtomic } from "./files.js";
import { type Digest, digestJson, hashHandle, parseDigest } from "./digest.js";
import { isRecord } from "./manifest.js";

/**
 * File digests remembered by what `stat` says about the file, so re-planning over large unchanged data
 * does not read it again. An entry is trusted only while size, mtime, ctime (nanoseconds), inode and
 * device all match. ctime is our addition to the usual key: tools that restore mtime after rewriting
 * a file (cp -p, rsync -t, tar) cannot restore ctime.
 */

export const STAT_CACHE_FILE = "stat-cache.json";

/**
 * A file modified within this long before we hash it is not remembered: a second write in the same
 * timestamp tick (coarse kernel clocks, 2 s on FAT, NFS servers) would leave size and mtime unchanged
 * while the content differs. Git calls this "racily clean" and handles it the same way.
 */
export const RACY_WINDOW_MS = 2000;

interface Entry {
  readonly size: string;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
  readonly ino: string;
  readonly dev: string;
  readonly digest: Digest;
}

interface CacheFile {
  readonly version: 1;
  readonly entries: Readonly<Record<string, Entry>>;
}

export interface StatDigest {
  readonly digest: Digest;
  /** True when the digest came from the cache and the file was not read. */
  readonly cached: boolean;
}

export class StatCache {
  /** Entries learnt in this process; saving merges them over whatever another process saved meanwhile. */
  private readonly learnt = new Map<string, Entry>();

  private constructor(
    private readonly root: string,
    private readonly entries: Map<string, Entry>,
  ) {}

  /** A missing, unreadable or foreign-version cache file loads as empty: the cost is re-hashing, never a wrong digest. */
  static async load(root: string): Promise<StatCache> {
    return new StatCache(root, await readEntries(path.join(root, STAT_CACHE_FILE)));
  }

  /**
   * What one stat says of `file`, without reading it: missing, a directory (or other non-file), or a
   * file with its digest when the cache knows it unchanged (undefined: it must be hashed). Synchronous:
   * a plan asks this of every cached output, and a stat is cheaper than the promise around it.
   */
  peek(file: string): { readonly kind: "missing" } | { readonly kind: "other" } | { readonly kind: "file"; readonly digest: Digest | undefined } {
    const abs = path.resolve(file);
    let st: BigIntStats | undefined;
    try {
      st = statSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch {
      return { kind: "other" };
    }
    if (!st) return { kind: "missing" };
    if (!st.isFile()) return { kind: "other" };
    const known = this.entries.get(abs);
    return { kind: "file", digest: known && sameFile(known, st) ? known.digest : undefined };
  }

  /** A file's digest; a directory's is that of its files' relative paths and digests, in name order. */
  async digest(file: string): Promise<StatDigest> {
    const abs = path.resolve(file);
    // One stat answers a known file (the common case, and one file system call, where opening it
    // would be three); a directory is walked; what is neither (a FIFO, a device) is never opened.
    const first = await stat(abs, { bigint: true });
    if (first.isDirectory()) return await this.digestDir(abs);
    if (!first.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: "EINVAL" });
    const seen = this.entries.get(abs);
    if (seen && sameFile(seen, first)) return { digest: seen.digest, cached: true };
    const fh = await open(abs, "r");
    try {
      const before = await fh.stat({ bigint: true });
      if (before.isDirectory()) return await this.digestDir(abs);
      const known = this.entries.get(abs);
      if (known && sameFile(known, before)) return { digest: known.digest, cached: true };
      const startedAt = Date.now();
      const { digest } = await hashHandle(fh);
      const after = await fh.stat({ bigint: true });
      // A file written during hashing gives a digest of neither version; a recently written one may change unseen.
      const settled = sameStat(before, after) && Number(after.mtimeMs) < startedAt - RACY_WINDOW_MS;
      if (settled) {
        const entry = entryOf(after, digest);
        this.entries.set(abs, entry);
        this.learnt.set(abs, entry);
      } else if (known) {
        this.entries.delete(abs);
      }
      return { digest, cached: false };
    } finally {
      await fh.close();
    }
  }

  private async digestDir(abs: string): Promise<StatDigest> {
    const files: [string, Digest][] = [];
    let cached = true;
    // Each directory is walked once, so a link back up the tree cannot loop.
    const walked = new Set<string>();
    const walk = async (dir: string, rel: string): Promise<void> => {
      const real = await realpath(dir);
      if (walked.has(real)) return;
      walked.add(real);
      const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const p = path.join(dir, e.name);
        const r = rel ? `${rel}/${e.name}` : e.name;
        // What a link points to counts as if it stood there; a dangling link holds nothing.
        const kind = e.isSymbolicLink() ? await stat(p).catch(() => undefined) : e;
        if (kind?.isDirectory()) await walk(p, r);
        // Regular files only: never a FIFO or socket, whose open would block.
        else if (kind?.isFile()) {
          const d = await this.digest(p);
          cached &&= d.cached;
          files.push([r, d.digest]);
        }
      }
    };
    await walk(abs, "");
    return { digest: digestJson({ directory: files }), cached };
  }

  /** Writes what this process learnt; a no-op when it learnt nothing. */
  async save(): Promise<void> {
    if (this.learnt.size === 0) return;
    const dest = path.join(this.root, STAT_CACHE_FILE);
    const merged = await readEntries(dest);
    for (const [k, v] of this.learnt) merged.set(k, v);
    const file: CacheFile = { version: 1, entries: Object.fromEntries(merged) };
    const scratch = path.join(this.root, "tmp");
    await ensureDir(scratch);
    await writeFileAtomic(scratch, dest, JSON.stringify(file), { durable: false });
    this.learnt.clear();
  }
}

function entryOf(s: BigIntStats, digest: Digest): Entry {
  return {
    size: s.size.toString(),
    mtimeNs: s.mtimeNs.toString(),
    ctimeNs: s.ctimeNs.toString(),
    ino: s.ino.toString(),
    dev: s.dev.toString(),
    digest,
  };
}

function sameFile(e: Entry, s: BigIntStats): boolean {
  return (
    e.size === s.size.toString() &&
    e.mtimeNs === s.mtimeNs.toString() &&
    e.ctimeNs === s.ctimeNs.toString() &&
    e.ino === s.ino.toString() &&
    e.dev === s.dev.toString()
  );
}

function sameStat(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}

async function readEntries(file: string): Promise<Map<string, Entry>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    // Missing, unreadable or not a file: the cost is re-hashing, never a wrong digest (and a save
    // that cannot write it is not an error either).
    return new Map();
  }
  const out = new Map<string, Entry>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return out;
  }
  if (!isRecord(parsed) || parsed["version"] !== 1 || !isRecord(parsed["entries"])) return out;
  for (const [k, v] of Object.entries(parsed["entries"])) {
    const e = toEntry(v);
    if (e) out.set(k, e);
  }
  return out;
}

function toEntry(v: unknown): Entry | undefined {
  if (!isRecord(v)) return undefined;
  const digest = parseDigest(v["digest"]);
  const fields = ["size", "mtimeNs", "ctimeNs", "ino", "dev"] as const;
  if (!digest || !fields.every((f) => typeof v[f] === "string")) return undefined;
  const s = (f: (typeof fields)[number]): string => v[f] as string;
  return { size: s("size"), mtimeNs: s("mtimeNs"), ctimeNs: s("ctimeNs"), ino: s("ino"), dev: s("dev"), digest };
}
