import { chmod, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { digestBytes } from "../../src/cache/digest.js";
import { readJson, removeCounting, tailLines } from "../../src/cache/files.js";
import { parseRunRecord } from "../../src/cache/manifest.js";
import { openStoreFor } from "../../src/cache/store-open.js";
import { Store } from "../../src/cache/store.js";
import { tempDir } from "./helpers.js";

/** chmod does not stop root from writing (see the assertion that needs it). */
const ROOT_USER = process.getuid?.() === 0;

describe("Store.openFor", () => {
  it("to read: creates nothing, and a store that is not there reads as empty", async () => {
    const root = path.join(await tempDir(), "cache");
    const opened = await openStoreFor(root, "read");
    if (!opened.ok) throw new Error(opened.error.reason);
    expect(await opened.store.exists()).toBe(false);
    expect(await opened.store.listRuns()).toEqual([]);
    expect(await opened.store.listManifests()).toEqual([]);
    await expect(stat(root)).rejects.toThrow(/ENOENT/);
  });

  it("to write: creates the layout", async () => {
    const root = path.join(await tempDir(), "a", "cache");
    const opened = await openStoreFor(root, "write");
    expect(opened.ok).toBe(true);
    expect((await readdir(root)).sort()).toEqual(["nodes", "objects", "runs", "tmp"]);
    expect(await readdir(path.join(root, "tmp"))).toEqual([]);
  });

  it("names the file that stands where a directory belongs: the root, above it, or inside it", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "file");
    await writeFile(file, "");
    for (const needs of ["read", "write"] as const) {
      expect(await openStoreFor(file, needs)).toEqual({ ok: false, error: { reason: "not-a-directory", root: file, path: file } });
      expect(await openStoreFor(path.join(file, "cache"), needs)).toMatchObject({ ok: false, error: { reason: "not-a-directory", path: file } });
    }
    const root = path.join(dir, "store");
    await mkdir(root);
    await writeFile(path.join(root, "objects"), "");
    expect(await openStoreFor(root, "read")).toMatchObject({ ok: false, error: { reason: "not-a-directory", path: path.join(root, "objects") } });
    // Scratch space matters to writers only.
    const other = path.join(dir, "other");
    await mkdir(other);
    await writeFile(path.join(other, "tmp"), "");
    expect((await openStoreFor(other, "read")).ok).toBe(true);
    expect(await openStoreFor(other, "write")).toMatchObject({ ok: false, error: { reason: "not-a-directory", path: path.join(other, "tmp") } });
  });

  it("to write a store that cannot be written: not-writable, with the system's reason", async () => {
    const dir = await tempDir();
    const root = path.join(dir, "store");
    expect((await openStoreFor(root, "write")).ok).toBe(true);
    await chmod(path.join(root, "tmp"), 0o555);
    const existing = await openStoreFor(root, "write");
    await chmod(path.join(dir, "store", "tmp"), 0o755);
    const parent = path.join(dir, "ro");
    await mkdir(parent, { mode: 0o555 });
    const fresh = await openStoreFor(path.join(parent, "store"), "write");
    await chmod(parent, 0o755);
    if (!ROOT_USER) {
      expect(existing).toEqual({ ok: false, error: { reason: "not-writable", root, path: root, code: "EACCES" } });
      expect(fresh).toMatchObject({ ok: false, error: { reason: "not-writable", path: parent, code: "EACCES" } });
    }
  });
});

describe("records that are not files", () => {
  it.skipIf(process.platform !== "linux")("to write under a directory that refuses new entries (/proc): not-writable, not a retry forever", async () => {
    const r = await openStoreFor("/proc/stagecraft-cache-test", "write");
    expect(r).toMatchObject({ ok: false, error: { reason: "not-writable" } });
  });

  it("readJson: a directory is a damaged record, not an exception", async () => {
    const dir = path.join(await tempDir(), "r.json");
    await mkdir(dir);
    expect(await readJson(dir, parseRunRecord)).toEqual({ ok: false, reason: "corrupt", detail: "r.json is a directory" });
  });

  it("removeCounting leaves a directory and what is in it", async () => {
    const dir = path.join(await tempDir(), "x.json");
    await mkdir(dir);
    await writeFile(path.join(dir, "keep"), "k");
    expect(await removeCounting(dir)).toBe(0);
    expect(await readdir(dir)).toEqual(["keep"]);
  });
});

describe("tailLines", () => {
  it("counts every line and returns the last ones, however the file ends", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "log");
    await writeFile(file, Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join(""));
    expect(await tailLines(file, 3)).toEqual({ lines: ["line 28", "line 29", "line 30"], total: 30 });
    await writeFile(file, "a\nb");
    expect(await tailLines(file, 5)).toEqual({ lines: ["a", "b"], total: 2 });
    await writeFile(file, "");
    expect(await tailLines(file, 5)).toEqual({ lines: [], total: 0 });
  });

  it("reads a file larger than its buffer and window, keeping only whole lines of the end", async () => {
    const file = path.join(await tempDir(), "log");
    const long = "x".repeat(3 << 20);
    await writeFile(file, `${long}\nfirst\n${"y".repeat(100)}\nlast\n`);
    const t = await tailLines(file, 10, 200);
    expect(t.total).toBe(4);
    expect(t.lines).toEqual(["first", "y".repeat(100), "last"]);
    // A window that begins inside "first" drops what it has of it.
    expect((await tailLines(file, 10, 110)).lines).toEqual(["y".repeat(100), "last"]);
  });
});

describe("a run record's logs", () => {
  it("are read when they are digests, and make the record damaged when they are anything else", () => {
    const d = digestBytes("out");
    const record = (logs: unknown) => ({
      version: 1, id: "20261130T000000Z-1-abcdef", pipeline: "/p.sc", startedAt: "t", status: "failed",
      nodes: [{ node: "n", fingerprint: "f", action: "failed", ...(logs === undefined ? {} : { logs }) }],
    });
    const ok = parseRunRecord(record({ stdout: d }));
    expect(ok.ok && ok.value.nodes[0]!.logs).toEqual({ stdout: d });
    expect(parseRunRecord(record(undefined)).ok).toBe(true);
    expect(parseRunRecord(record({ stdout: d, stderr: "nonsense" })).ok).toBe(false);
    expect(parseRunRecord(record("x")).ok).toBe(false);
  });
});
