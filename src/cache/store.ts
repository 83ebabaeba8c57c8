import { open } from "node:fs/promises";
import path from "node:path";
import {
  commit,
  copyHashing,
  ensureDir,
  openIfExists,
  readJson,
  readdirIfExists,
  removeCounting,
  scratchName,
  statIfExists,
  treeStat,
  writeFileAtomic,
} from "./files.js";
import { type Digest, digestBytes, digestHex, hashHandle, isDigest, parseDigest } from "./digest.js";
import {
  fingerprintHex,
  isRunId,
  manifestObjects,
  type NodeManifest,
  parseManifest,
  parseRunRecord,
  type RunRecord,
} from "./manifest.js";

/** Where the store lives when neither `--cache-dir` nor STAGECRAFT_CACHE_DIR says otherwise. */
export const DEFAULT_STORE_DIR = ".stagecraft";

export type ObjectCheck =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly reason: "missing" | "corrupt"; readonly detail: string };

export type ManifestProblem = "missing" | "corrupt" | "object-missing" | "object-corrupt";

export type ManifestRead =
  | { readonly ok: true; readonly manifest: NodeManifest }
  | { readonly ok: false; readonly reason: ManifestProblem; readonly detail: string };

export interface ReadManifestOptions {
  /** Check that every object the manifest lists is present, with the recorded size. On unless false. */
  readonly verify?: boolean;
  /** Also re-hash every listed object: slow on large outputs, and what a shared or suspect cache needs. */
  readonly rehash?: boolean;
  /**
   * Use (and keep) the manifest as this process last read or wrote it, instead of reading the file
   * again: for a plan and the run after it, which read the same manifests. Checks of the cache
   * itself (verify, gc) read the file.
   */
  readonly remembered?: boolean;
}

export interface StoredFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export type ScratchEntry = StoredFile & { readonly isDir: boolean };

export type RunEntry =
  | { readonly id: string; readonly ok: true; readonly record: RunRecord; readonly size: number }
  | { readonly id: string; readonly ok: false; readonly detail: string };

const OBJECT_MODE = 0o444;

/**
 * The content-addressed store. Layout under `root`:
 *   objects/sha256/ab/<62 hex>   immutable blobs, named by their digest
 *   nodes/<fingerprint hex>.json one manifest per executed node, committed after its objects
 *   runs/<run id>.json           run records
 *   compiled/<key>.bin           checked and lowered pipelines, one per file (src/cache/compiled.ts)
 *   tmp/                         scratch; everything is written here and renamed into place
 *   work/<fingerprint hex>/      a running node's working directory that outlives a killed attempt
 *                                (training checkpoints); removed when the node's result commits
 * Expected failures (missing or damaged entries) come back as values with a reason; exceptions are
 * for broken environments (permissions, full disk) and caller bugs.
 */
export class Store {
  readonly root: string;
  readonly tmpDir: string;
  private readonly objectsDir: string;
  private readonly nodesDir: string;
  private readonly runsDir: string;
  /**
   * Manifests read or written by this process, by fingerprint hex, for reads that ask for them
   * (`remembered`). A manifest is never rewritten with other content (its name is its fingerprint),
   * so a plan and the run after it read each once; what it names is still checked on every
   * verifying read.
   */
  private readonly manifests = new Map<string, NodeManifest>();

  private constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, "tmp");
    this.objectsDir = path.join(this.root, "objects", "sha256");
    this.nodesDir = path.join(this.root, "nodes");
    this.runsDir = path.join(this.root, "runs");
  }

  /** Opens the store at `root`, creating its directories. The scratch directory must share the store's filesystem, so it lives inside it. */
  static async open(root: string = DEFAULT_STORE_DIR): Promise<Store> {
    const s = new Store(root);
    for (const d of s.layout()) await ensureDir(d);
    return s;
  }

  /** The store at `root` as it is, creating nothing (see store-open.ts for opening it for a command). */
  static at(root: string): Store {
    return new Store(root);
  }

  /** The directories a reader looks in (scratch space matters to writers alone). */
  readLayout(): string[] {
    return [this.objectsDir, this.nodesDir, this.runsDir];
  }

  /** The directories every store has. */
  layout(): string[] {
    return [this.objectsDir, this.nodesDir, this.runsDir, this.tmpDir];
  }

  /** Whether the store's root directory is there (a store opened to read may not be). */
  async exists(): Promise<boolean> {
    return (await statIfExists(this.root))?.isDirectory() ?? false;
  }

  objectPath(d: Digest): string {
    if (!isDigest(d)) throw new TypeError(`not a digest: ${JSON.stringify(d)}`);
    const hex = digestHex(d);
    return path.join(this.objectsDir, hex.slice(0, 2), hex.slice(2));
  }

  async has(d: Digest): Promise<boolean> {
    return (await statIfExists(this.objectPath(d)))?.isFile() ?? false;
  }

  /**
   * Whether an object is present with the bytes its name says. A present object that is damaged
   * (a wrong size, or the right size and other bytes) is replaced by a put: that is how a rerun
   * repairs a cache, and why a rerun's output is never handed on as a damaged copy. The size is
   * checked first, so a missing or truncated object costs no read.
   */
  private async intact(d: Digest, size: number): Promise<boolean> {
    const st = await statIfExists(this.objectPath(d));
    if (st?.isFile() !== true || st.size !== size) return false;
    return size === 0 || (await this.verifyObject(d)).ok;
  }

  async putBytes(buf: Uint8Array | string): Promise<Digest> {
    const d = digestBytes(buf);
    if (await this.intact(d, typeof buf === "string" ? Buffer.byteLength(buf) : buf.byteLength)) return d;
    const dest = this.objectPath(d);
    await ensureDir(path.dirname(dest));
    await writeFileAtomic(this.tmpDir, dest, buf, { durable: true, mode: OBJECT_MODE });
    return d;
  }

  /**
   * Copies a file into the store, hashing it on the way, and returns its digest. An object that is
   * already present is not replaced. With `knownDigest` (from the stat cache) and that object present,
   * the file is not read at all.
   */
  async putFile(file: string, opts: { readonly knownDigest?: Digest } = {}): Promise<Digest> {
    if (opts.knownDigest && (await this.has(opts.knownDigest))) return opts.knownDigest;
    const tmp = scratchName(this.tmpDir, "object");
    const src = await open(file, "r");
    let copy;
    try {
      copy = await copyHashing(src, tmp, OBJECT_MODE, async (got) => !(await this.intact(got.digest, got.size)));
    } finally {
      await src.close();
    }
    if (copy.kept) {
      const dest = this.objectPath(copy.digest);
      await ensureDir(path.dirname(dest));
      await commit(tmp, dest, { durable: true });
    }
    return copy.digest;
  }

  /** Re-hashes the object and compares it with its name. */
  async verifyObject(d: Digest): Promise<ObjectCheck> {
    const fh = await openIfExists(this.objectPath(d));
    if (!fh) return missing(d);
    try {
      const got = await hashHandle(fh);
      return got.digest === d ? { ok: true, size: got.size } : corrupt(d, got.digest, got.size);
    } finally {
      await fh.close();
    }
  }

  /**
   * Copies an object out to `dest`, replacing it atomically. The copy is hashed as it is written and
   * renamed into place only if it matches, so a damaged object is reported and never served.
   */
  async restore(d: Digest, dest: string): Promise<ObjectCheck> {
    const fh = await openIfExists(this.objectPath(d));
    if (!fh) return missing(d);
    let copy;
    const tmp = scratchName(path.dirname(path.resolve(dest)), `.${path.basename(dest)}.restore`);
    try {
      await ensureDir(path.dirname(tmp));
      // The scratch copy sits beside dest, not in tmp/: rename cannot cross filesystems.
      copy = await copyHashing(fh, tmp, 0o666, async (got) => got.digest === d);
    } finally {
      await fh.close();
    }
    if (!copy.kept) return corrupt(d, copy.digest, copy.size);
    await commit(tmp, dest, { durable: true });
    return { ok: true, size: copy.size };
  }

  /**
   * Commits a node's manifest. Its objects must already be in the store (put them first): the manifest
   * is the commit record, so a crash before this point leaves only unreferenced objects for gc.
   */
  async writeManifest(m: NodeManifest): Promise<void> {
    const parsed = parseManifest(m);
    if (!parsed.ok) throw new TypeError(`writeManifest: invalid manifest: ${parsed.error}`);
    for (const o of manifestObjects(m)) {
      const s = await statIfExists(this.objectPath(o.digest));
      if (!s?.isFile()) throw new Error(`writeManifest: ${o.label} (${o.digest}) is not in the store`);
      if (o.size !== undefined && s.size !== o.size) {
        throw new Error(`writeManifest: ${o.label} is ${o.size} bytes in the manifest, ${s.size} in the store`);
      }
    }
    const dest = this.manifestPath(m.fingerprint);
    // Not ours to replace: the node fails with this instead of the rename's EISDIR.
    if ((await statIfExists(dest))?.isDirectory()) {
      throw new Error(`cannot record the result: ${path.relative(this.root, dest)} in the cache ${this.root} is a directory (\`stagecraft cache verify\` lists it; move it away)`);
    }
    await writeFileAtomic(this.tmpDir, dest, `${JSON.stringify(m, null, 2)}\n`, { durable: true });
    this.manifests.set(fingerprintHex(m.fingerprint), m);
  }

  async readManifest(fingerprint: string, opts: ReadManifestOptions = {}): Promise<ManifestRead> {
    const hex = fingerprintHex(fingerprint);
    let m = opts.remembered ? this.manifests.get(hex) : undefined;
    if (!m) {
      const file = this.manifestPath(fingerprint);
      const read = await readJson(file, parseManifest);
      if (!read.ok) {
        const detail = read.reason === "missing" ? "no manifest for this fingerprint" : read.detail;
        return { ok: false, reason: read.reason, detail };
      }
      m = read.value;
      if (fingerprintHex(m.fingerprint) !== hex) {
        return { ok: false, reason: "corrupt", detail: `${path.basename(file)} records fingerprint ${m.fingerprint}` };
      }
      this.manifests.set(hex, m);
    }
    if (opts.verify === false) return { ok: true, manifest: m };
    for (const o of manifestObjects(m)) {
      const s = await statIfExists(this.objectPath(o.digest));
      if (!s?.isFile()) return { ok: false, reason: "object-missing", detail: `${o.label} (${o.digest}) is not in the store` };
      if (o.size !== undefined && s.size !== o.size) {
        const detail = `${o.label} (${o.digest}) is ${s.size} bytes, expected ${o.size}`;
        return { ok: false, reason: "object-corrupt", detail };
      }
      // An object is never written again once stored, and a result is recorded after its objects:
      // one modified since (same size, other bytes) is re-hashed, so a damaged result is never a hit.
      if (opts.rehash || s.mtimeMs > Date.parse(m.finishedAt) + 1) {
        const check = await this.verifyObject(o.digest);
        if (!check.ok) {
          const reason = check.reason === "missing" ? "object-missing" : "object-corrupt";
          return { ok: false, reason, detail: `${o.label}: ${check.detail}` };
        }
      }
    }
    return { ok: true, manifest: m };
  }

  /** Fingerprints (hex) of every stored manifest, sorted. */
  async listManifests(): Promise<string[]> {
    const names = await readdirIfExists(this.nodesDir);
    return names
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.slice(0, -".json".length))
      .filter((n) => /^[0-9a-f]{16,128}$/.test(n))
      .sort();
  }

  manifestPath(fingerprint: string): string {
    return path.join(this.nodesDir, `${fingerprintHex(fingerprint)}.json`);
  }

  async writeRun(r: RunRecord): Promise<void> {
    const parsed = parseRunRecord(r);
    if (!parsed.ok) throw new TypeError(`writeRun: invalid run record: ${parsed.error}`);
    const dest = path.join(this.runsDir, `${r.id}.json`);
    await writeFileAtomic(this.tmpDir, dest, `${JSON.stringify(r, null, 2)}\n`, { durable: true });
  }

  /** Readable run records, newest first. Damaged ones are left out here and reported by verifyStore. */
  async listRuns(): Promise<RunRecord[]> {
    const records: RunRecord[] = [];
    for (const e of await this.listRunEntries()) if (e.ok) records.push(e.record);
    return records.sort((a, b) => cmp(b.startedAt, a.startedAt) || cmp(b.id, a.id));
  }

  /** Every run record file, readable or not. */
  async listRunEntries(): Promise<RunEntry[]> {
    const out: RunEntry[] = [];
    for (const name of await readdirIfExists(this.runsDir)) {
      const id = name.slice(0, -".json".length);
      if (!name.endsWith(".json") || !isRunId(id)) continue;
      let read;
      try {
        read = await readJson(path.join(this.runsDir, name), parseRunRecord);
      } catch (e) {
        // History is not worth failing a command for: a record that cannot be read (no permission)
        // is left out like a damaged one, and verifyStore reports it.
        out.push({ id, ok: false, detail: `${name} cannot be read (${e instanceof Error ? e.message : String(e)})` });
        continue;
      }
      if (!read.ok) {
        if (read.reason === "corrupt") out.push({ id, ok: false, detail: read.detail });
      } else if (read.value.id !== id) {
        out.push({ id, ok: false, detail: `${name} records id ${read.value.id}` });
      } else {
        out.push({ id, ok: true, record: read.value, size: read.size });
      }
    }
    return out;
  }

  /** Every file under objects/, with its digest when its path is a well-formed object name. */
  async listObjectFiles(): Promise<(StoredFile & { readonly digest: Digest | undefined })[]> {
    const out: (StoredFile & { readonly digest: Digest | undefined })[] = [];
    for (const fan of await readdirIfExists(this.objectsDir)) {
      const dir = path.join(this.objectsDir, fan);
      const names = (await statIfExists(dir))?.isDirectory() ? await readdirIfExists(dir) : [""];
      for (const rest of names) {
        const p = path.join(dir, rest);
        const s = await statIfExists(p);
        const digest = fan.length === 2 ? parseDigest(`sha256:${fan}${rest}`) : undefined;
        if (s?.isFile()) out.push({ path: p, size: s.size, mtimeMs: s.mtimeMs, digest });
      }
    }
    return out;
  }

  /**
   * What is in tmp/: scratch files, and directories runs use as working space (their size and
   * mtime cover everything inside, so a directory still being written to looks young).
   */
  async listScratch(): Promise<ScratchEntry[]> {
    const out: ScratchEntry[] = [];
    for (const name of await readdirIfExists(this.tmpDir)) {
      const p = path.join(this.tmpDir, name);
      const [s, tree] = [await statIfExists(p), await treeStat(p)];
      if (s && tree) out.push({ path: p, size: tree.size, mtimeMs: tree.newestMtimeMs, isDir: s.isDirectory() });
    }
    return out;
  }

  /** Working directories of nodes (`work/<fingerprint>/`, training checkpoints), with their size. */
  async listWork(): Promise<(ScratchEntry & { readonly fingerprint: string })[]> {
    const dir = path.join(this.root, "work");
    const out: (ScratchEntry & { readonly fingerprint: string })[] = [];
    for (const name of await readdirIfExists(dir)) {
      const p = path.join(dir, name);
      const tree = await treeStat(p);
      if (tree) out.push({ path: p, size: tree.size, mtimeMs: tree.newestMtimeMs, isDir: true, fingerprint: name });
    }
    return out;
  }

  /** Removes a manifest; returns the bytes freed (0 if it was already gone). For gc, under the run lock. */
  async deleteManifest(fingerprint: string): Promise<number> {
    this.manifests.delete(fingerprintHex(fingerprint));
    return removeCounting(this.manifestPath(fingerprint));
  }

  /** Removes an object; returns the bytes freed. For gc, under the run lock. */
  async deleteObject(d: Digest): Promise<number> {
    return removeCounting(this.objectPath(d));
  }
}

function missing(d: Digest): ObjectCheck {
  return { ok: false, reason: "missing", detail: `${d} is not in the store` };
}

function corrupt(d: Digest, got: Digest, size: number): ObjectCheck {
  return { ok: false, reason: "corrupt", detail: `object ${d} holds ${size} bytes that hash to ${got}` };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
