import { randomBytes } from "node:crypto";
import { chmod, readFile, rm, stat, truncate, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Digest, digestBytes, digestFile, READ_CHUNK } from "../../src/cache/digest.js";
import { newRunId, type RunRecord } from "../../src/cache/manifest.js";
import { Store } from "../../src/cache/store.js";
import { FP_A, FP_B, ls, manifest, tempDir } from "./helpers.js";

async function damage(store: Store, d: Digest, content: string): Promise<void> {
  const p = store.objectPath(d);
  await chmod(p, 0o644);
  await writeFile(p, content);
}

describe("objects", () => {
  it("are named by content, deduplicated and read-only", async () => {
    const store = await Store.open(await tempDir());
    const d = await store.putBytes("weights v1");
    expect(d).toBe(digestBytes("weights v1"));
    const hex = d.slice("sha256:".length);
    expect(store.objectPath(d)).toBe(path.join(store.root, "objects", "sha256", hex.slice(0, 2), hex.slice(2)));
    const before = await stat(store.objectPath(d));
    expect(before.mode & 0o222).toBe(0);
    expect(await store.putBytes("weights v1")).toBe(d);
    const after = await stat(store.objectPath(d));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(await store.putBytes("weights v2")).not.toBe(d);
    expect(await ls(store.tmpDir)).toEqual([]);
  });

  it("are copied from files while hashing, once", async () => {
    const root = await tempDir();
    const store = await Store.open(path.join(root, "store"));
    const src = path.join(root, "model.bin");
    const bytes = randomBytes(READ_CHUNK * 2 + 7);
    await writeFile(src, bytes);
    const d = await store.putFile(src);
    expect(d).toBe(await digestFile(src));
    expect((await readFile(store.objectPath(d))).equals(bytes)).toBe(true);
    const first = await stat(store.objectPath(d));
    expect(await store.putFile(src)).toBe(d);
    expect((await stat(store.objectPath(d))).ino).toBe(first.ino);
    expect(await ls(store.tmpDir)).toEqual([]);
    // With a digest known from the stat cache and the object present, the file is not even opened.
    expect(await store.putFile(path.join(root, "does-not-exist"), { knownDigest: d })).toBe(d);
  });

  it("restore copies out, and the copy does not alias the object", async () => {
    const root = await tempDir();
    const store = await Store.open(path.join(root, "store"));
    const d = await store.putBytes("adapter");
    const dest = path.join(root, "out", "deep", "adapter.safetensors");
    expect(await store.restore(d, dest)).toEqual({ ok: true, size: 7 });
    expect(await readFile(dest, "utf8")).toBe("adapter");
    await writeFile(dest, "edited");
    expect(await store.verifyObject(d)).toEqual({ ok: true, size: 7 });
    expect(await store.restore(d, dest)).toEqual({ ok: true, size: 7 });
    expect(await readFile(dest, "utf8")).toBe("adapter");
  });

  it("restore refuses a corrupt or missing object and leaves the destination alone", async () => {
    const root = await tempDir();
    const store = await Store.open(path.join(root, "store"));
    const d = await store.putBytes("good bytes");
    const dest = path.join(root, "out.bin");
    await writeFile(dest, "previous");
    await damage(store, d, "evil bytes");
    const r = await store.restore(d, dest);
    expect(r).toMatchObject({ ok: false, reason: "corrupt" });
    expect(!r.ok && r.detail).toContain(digestBytes("evil bytes"));
    expect(await readFile(dest, "utf8")).toBe("previous");
    expect(await ls(root)).toEqual(["out.bin", "store"]);
    expect(await store.verifyObject(d)).toMatchObject({ ok: false, reason: "corrupt" });
    await rm(store.objectPath(d));
    expect(await store.restore(d, dest)).toMatchObject({ ok: false, reason: "missing" });
    expect(await store.verifyObject(d)).toMatchObject({ ok: false, reason: "missing" });
  });

  it("a put of bytes whose object is damaged, even at the same size, replaces it", async () => {
    const store = await Store.open(await tempDir());
    const src = path.join(store.root, "..", "model.bin");
    await writeFile(src, "weights");
    const d = await store.putFile(src);
    const obj = store.objectPath(d);
    await chmod(obj, 0o644);
    await writeFile(obj, "WEIGHTS"); // same size, other bytes
    expect(await store.putFile(src)).toBe(d);
    expect(await readFile(obj, "utf8")).toBe("weights");
    await chmod(obj, 0o644);
    await writeFile(obj, "Weights");
    expect(await store.putBytes("weights")).toBe(d);
    expect((await store.verifyObject(d)).ok).toBe(true);
  });

  it("rejects strings that are not digests as paths", async () => {
    const store = await Store.open(await tempDir());
    expect(() => store.objectPath("sha256:../../etc/passwd" as Digest)).toThrow(TypeError);
  });
});

describe("manifests", () => {
  it("round-trip, and are listed by fingerprint", async () => {
    const store = await Store.open(await tempDir());
    const d = await store.putBytes("out");
    const log = await store.putBytes("stdout text");
    const m = manifest(FP_A, [{ name: "model", digest: d, size: 3 }], { logs: { stdout: log }, backend: "cpu" });
    await store.writeManifest(m);
    expect(await store.readManifest(FP_A)).toEqual({ ok: true, manifest: m });
    expect(await store.readManifest(`sha256:${FP_A}`)).toEqual({ ok: true, manifest: m });
    expect(await store.readManifest(FP_B)).toMatchObject({ ok: false, reason: "missing" });
    expect(await store.listManifests()).toEqual([FP_A]);
  });

  it("are committed only after their objects are in the store", async () => {
    const store = await Store.open(await tempDir());
    const absent = digestBytes("never put");
    await expect(store.writeManifest(manifest(FP_A, [{ name: "m", digest: absent, size: 9 }]))).rejects.toThrow(/not in the store/);
    const d = await store.putBytes("abc");
    await expect(store.writeManifest(manifest(FP_A, [{ name: "m", digest: d, size: 4 }]))).rejects.toThrow(/3 in the store/);
    await expect(store.readManifest(FP_A)).resolves.toMatchObject({ ok: false, reason: "missing" });
  });

  it("whose object was deleted or damaged are reported as such, never as ok", async () => {
    const store = await Store.open(await tempDir());
    const [a, b] = [await store.putBytes("output a"), await store.putBytes("output b")];
    await store.writeManifest(manifest(FP_A, [{ name: "a", digest: a, size: 8 }]));
    await store.writeManifest(manifest(FP_B, [{ name: "b", digest: b, size: 8 }]));

    await rm(store.objectPath(a));
    const missing = await store.readManifest(FP_A, { verify: true });
    expect(missing).toMatchObject({ ok: false, reason: "object-missing" });
    expect(!missing.ok && missing.detail).toContain("output 'a'");
    expect(await store.readManifest(FP_A)).toMatchObject({ ok: false, reason: "object-missing" });
    expect(await store.readManifest(FP_A, { verify: false })).toMatchObject({ ok: true });

    // Same size, different bytes: written after the result was recorded, so it is re-hashed; restore
    // refuses it either way.
    await damage(store, b, "output X");
    expect(await store.readManifest(FP_B, { verify: true })).toMatchObject({ ok: false, reason: "object-corrupt" });
    expect(await store.readManifest(FP_B, { verify: true, rehash: true })).toMatchObject({ ok: false, reason: "object-corrupt" });
    // With its time set back to before the result, only re-hashing sees it.
    await utimes(store.objectPath(b), new Date(2001, 0, 1), new Date(2001, 0, 1));
    expect(await store.readManifest(FP_B, { verify: true })).toMatchObject({ ok: true });
    expect(await store.readManifest(FP_B, { verify: true, rehash: true })).toMatchObject({ ok: false, reason: "object-corrupt" });
    // Truncation is caught by the cheap size check.
    await truncate(store.objectPath(b), 3);
    expect(await store.readManifest(FP_B)).toMatchObject({ ok: false, reason: "object-corrupt" });
  });

  it("that cannot be read are corrupt", async () => {
    const store = await Store.open(await tempDir());
    await writeFile(store.manifestPath(FP_A), '{"version":1,"fingerprint":');
    expect(await store.readManifest(FP_A)).toMatchObject({ ok: false, reason: "corrupt" });
    await writeFile(store.manifestPath(FP_A), JSON.stringify({ ...manifest(FP_A, []), outputs: [{ name: "m", digest: "md5:x", size: 1 }] }));
    expect(await store.readManifest(FP_A)).toMatchObject({ ok: false, reason: "corrupt", detail: expect.stringContaining("outputs[0].digest") });
    // A manifest filed under the wrong name must not answer for another fingerprint.
    await writeFile(store.manifestPath(FP_A), JSON.stringify(manifest(FP_B, [])));
    expect(await store.readManifest(FP_A)).toMatchObject({ ok: false, reason: "corrupt" });
  });

  it("are never seen half-written after an interrupted write", async () => {
    const store = await Store.open(await tempDir());
    const d = await store.putBytes("out");
    const full = JSON.stringify(manifest(FP_A, [{ name: "m", digest: d, size: 3 }]));
    // What a crash mid-write leaves: a partial scratch file, never renamed.
    await writeFile(path.join(store.tmpDir, `${FP_A}.json.4242.abcdef.tmp`), full.slice(0, full.length / 2));
    expect(await store.readManifest(FP_A)).toMatchObject({ ok: false, reason: "missing" });
    expect(await store.listManifests()).toEqual([]);
  });
});

describe("runs", () => {
  const run = (id: string, startedAt: string, status: RunRecord["status"] = "running"): RunRecord => ({
    version: 1,
    id,
    pipeline: "workflows/tiny-r1v.sc",
    startedAt,
    status,
    nodes: [],
  });

  it("have ids that sort by start time", () => {
    const a = newRunId(new Date("2026-11-29T20:45:01.500Z"), 77);
    const b = newRunId(new Date("2026-11-29T20:45:02.000Z"), 12);
    expect(a).toMatch(/^20261129T204501Z-77-[0-9a-f]{6}$/);
    expect([b, a].sort()).toEqual([a, b]);
  });

  it("are rewritten in place as they progress and listed newest first", async () => {
    const store = await Store.open(await tempDir());
    const older = run("20261129T204501Z-1-aaaaaa", "2026-11-29T20:45:01.000Z");
    const newer = run("20261129T204501Z-2-000000", "2026-11-29T20:45:01.900Z");
    await store.writeRun(older);
    await store.writeRun(newer);
    await store.writeRun({ ...older, status: "ok", finishedAt: "2026-11-29T20:50:00.000Z", nodes: [{ node: "sft", fingerprint: FP_A, action: "ran", seconds: 3 }] });
    const runs = await store.listRuns();
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [newer.id, "running"],
      [older.id, "ok"],
    ]);
    expect(await ls(store.tmpDir)).toEqual([]);
    await expect(store.writeRun({ ...older, id: "../escape" })).rejects.toThrow(TypeError);
  });
});
