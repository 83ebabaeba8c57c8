import { execFileSync } from "node:child_process";
import { mkdir, readFile, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { digestBytes } from "../../src/cache/digest.js";
import { STAT_CACHE_FILE, StatCache } from "../../src/cache/stat-cache.js";
import { age, ls, tempDir, writeSettled } from "./helpers.js";

describe("stat cache", () => {
  it("does not re-read an unchanged file, also after save and load", async () => {
    const root = await tempDir();
    const file = path.join(root, "data.jsonl");
    await writeSettled(file, "row 1\nrow 2\n");
    const cache = await StatCache.load(root);
    expect(await cache.digest(file)).toEqual({ digest: digestBytes("row 1\nrow 2\n"), cached: false });
    expect(await cache.digest(file)).toEqual({ digest: digestBytes("row 1\nrow 2\n"), cached: true });
    await cache.save();
    expect(await ls(root)).toContain(STAT_CACHE_FILE);
    expect(await ls(path.join(root, "tmp"))).toEqual([]);
    const again = await StatCache.load(root);
    expect(await again.digest(file)).toEqual({ digest: digestBytes("row 1\nrow 2\n"), cached: true });
    // Relative and absolute spellings share an entry.
    expect((await again.digest(path.relative(process.cwd(), file))).cached).toBe(true);
  });

  it("peek answers from one stat: missing, not a file, a known digest, or a file to hash", async () => {
    const root = await tempDir();
    const file = path.join(root, "data.jsonl");
    await writeSettled(file, "row\n");
    const cache = await StatCache.load(root);
    expect(cache.peek(file)).toEqual({ kind: "file", digest: undefined });
    await cache.digest(file);
    expect(cache.peek(file)).toEqual({ kind: "file", digest: digestBytes("row\n") });
    await writeSettled(file, "RoW\n", 60);
    expect(cache.peek(file)).toEqual({ kind: "file", digest: undefined });
    expect(cache.peek(path.join(root, "nope"))).toEqual({ kind: "missing" });
    expect(cache.peek(root)).toEqual({ kind: "other" });
  });

  it("never opens what is neither a file nor a directory (a FIFO would block the read)", async () => {
    const root = await tempDir();
    const fifo = path.join(root, "pipe");
    execFileSync("mkfifo", [fifo]);
    const cache = await StatCache.load(root);
    await expect(cache.digest(fifo)).rejects.toMatchObject({ code: "EINVAL" });
    expect(cache.peek(fifo)).toEqual({ kind: "other" });
  });

  it("re-reads after a same-size change", async () => {
    const root = await tempDir();
    const file = path.join(root, "x");
    await writeSettled(file, "aaaa", 120);
    const cache = await StatCache.load(root);
    await cache.digest(file);
    await writeSettled(file, "bbbb", 60);
    expect(await cache.digest(file)).toEqual({ digest: digestBytes("bbbb"), cached: false });
  });

  it("re-reads a same-size change whose mtime was put back (as cp -p or tar do)", async () => {
    const root = await tempDir();
    const file = path.join(root, "x");
    const t = (Date.now() - 60_000) / 1000;
    await writeFile(file, "aaaa");
    await utimes(file, t, t);
    const cache = await StatCache.load(root);
    await cache.digest(file);
    await new Promise((r) => setTimeout(r, 20)); // let the ctime clock tick
    await writeFile(file, "cccc");
    await utimes(file, t, t);
    expect(await cache.digest(file)).toEqual({ digest: digestBytes("cccc"), cached: false });
  });

  it("does not remember a file modified just now, whose next write could keep its size and mtime", async () => {
    const root = await tempDir();
    const file = path.join(root, "fresh");
    await writeFile(file, "new");
    const cache = await StatCache.load(root);
    expect((await cache.digest(file)).cached).toBe(false);
    expect((await cache.digest(file)).cached).toBe(false);
    await age(file, 60);
    expect((await cache.digest(file)).cached).toBe(false);
    expect((await cache.digest(file)).cached).toBe(true);
  });

  it("treats a damaged cache file as empty and repairs it on save", async () => {
    const root = await tempDir();
    const file = path.join(root, "f");
    await writeSettled(file, "content");
    await writeFile(path.join(root, STAT_CACHE_FILE), '{"version":1,"entries":{"');
    const cache = await StatCache.load(root);
    expect(await cache.digest(file)).toEqual({ digest: digestBytes("content"), cached: false });
    await cache.save();
    const saved = JSON.parse(await readFile(path.join(root, STAT_CACHE_FILE), "utf8")) as { entries: object };
    expect(Object.keys(saved.entries)).toEqual([file]);
  });

  it("merges what two processes learnt instead of the last save winning", async () => {
    const root = await tempDir();
    const [f1, f2] = [path.join(root, "one"), path.join(root, "two")];
    await writeSettled(f1, "1");
    await writeSettled(f2, "2");
    const a = await StatCache.load(root);
    const b = await StatCache.load(root);
    await a.digest(f1);
    await b.digest(f2);
    await a.save();
    await b.save();
    const c = await StatCache.load(root);
    expect((await c.digest(f1)).cached).toBe(true);
    expect((await c.digest(f2)).cached).toBe(true);
  });
});

describe("stat cache: directories", () => {
  it("digests a directory by its files' paths and bytes, through the cache, and survives links that loop or dangle", async () => {
    const root = await tempDir();
    const dir = path.join(root, "shards");
    await mkdir(path.join(dir, "deep"), { recursive: true });
    await writeSettled(path.join(dir, "a"), "a");
    await writeSettled(path.join(dir, "deep", "b"), "b");
    const cache = await StatCache.load(root);
    const first = await cache.digest(dir);
    expect(first.cached).toBe(false);
    expect(await cache.digest(dir)).toEqual({ digest: first.digest, cached: true });
    // A link back up the tree, a dangling link and a FIFO change nothing and never hang.
    await symlink("..", path.join(dir, "deep", "up"));
    await symlink("nowhere", path.join(dir, "gone"));
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    expect((await cache.digest(dir)).digest).toBe(first.digest);
    // A link to a file counts as that file standing there.
    await symlink("a", path.join(dir, "alias"));
    const linked = await cache.digest(dir);
    expect(linked.digest).not.toBe(first.digest);
    // Moving a file changes the digest even though the bytes are the same.
    await rm(path.join(dir, "alias"));
    await rename(path.join(dir, "deep", "b"), path.join(dir, "b"));
    expect((await cache.digest(dir)).digest).not.toBe(first.digest);
  });
});

describe("stat cache: a file that cannot be read", () => {
  it("loads as empty when its file is a directory, and a digest still comes back", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, STAT_CACHE_FILE));
    const file = path.join(root, "x");
    await writeSettled(file, "abc");
    const cache = await StatCache.load(root);
    expect(await cache.digest(file)).toEqual({ digest: digestBytes("abc"), cached: false });
  });
});
