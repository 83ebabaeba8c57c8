import { chmod, mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Digest } from "../../src/cache/digest.js";
import { gc, removeStaleScratch } from "../../src/cache/gc.js";
import type { RunRecord } from "../../src/cache/manifest.js";
import { formatSize, parseSize } from "../../src/cache/size.js";
import { Store } from "../../src/cache/store.js";
import { verifyStore } from "../../src/cache/verify.js";
import { age, FP_A, FP_B, FP_C, manifest, tempDir } from "./helpers.js";

/** Three runs, oldest first: run 1 made A, run 2 made B, run 3 made C and restored B. A and B share an object. */
async function history(): Promise<{ store: Store; shared: Digest; onlyA: Digest; onlyB: Digest; onlyC: Digest }> {
  const store = await Store.open(await tempDir());
  const shared = await store.putBytes("tokenizer, 16 bytes");
  const onlyA = await store.putBytes("A".repeat(1000));
  const onlyB = await store.putBytes("B".repeat(2000));
  const onlyC = await store.putBytes("C".repeat(4000));
  const out = (name: string, digest: Digest, size: number) => ({ name, digest, size });
  await store.writeManifest(manifest(FP_A, [out("tok", shared, 19), out("a", onlyA, 1000)], { finishedAt: "2026-01-01T00:00:00Z" }));
  await store.writeManifest(manifest(FP_B, [out("tok", shared, 19), out("b", onlyB, 2000)], { finishedAt: "2026-01-02T00:00:00Z" }));
  await store.writeManifest(manifest(FP_C, [out("c", onlyC, 4000)], { finishedAt: "2026-01-03T00:00:00Z" }));
  const run = (n: number, nodes: RunRecord["nodes"]): RunRecord => ({
    version: 1,
    id: `2026010${n}T000000Z-1-00000${n}`,
    pipeline: "p.sc",
    startedAt: `2026-01-0${n}T00:00:00.000Z`,
    status: "ok",
    nodes,
  });
  await store.writeRun(run(1, [{ node: "a", fingerprint: FP_A, action: "ran" }]));
  await store.writeRun(run(2, [{ node: "b", fingerprint: `sha256:${FP_B}`, action: "ran" }]));
  await store.writeRun(run(3, [
    { node: "b", fingerprint: FP_B, action: "restored" },
    { node: "c", fingerprint: FP_C, action: "ran" },
  ]));
  return { store, shared, onlyA, onlyB, onlyC };
}

describe("gc", () => {
  it("keeps what the last N runs need and frees the rest", async () => {
    const { store, shared, onlyA, onlyB, onlyC } = await history();
    const report = await gc(store, { keepLast: 1 });
    expect(report.removedManifests).toEqual([FP_A]);
    expect(report.removedObjects).toEqual([onlyA]);
    expect(report.bytesFreed).toBeGreaterThan(1000);
    for (const d of [shared, onlyB, onlyC]) expect(await store.has(d), d).toBe(true);
    expect(await store.readManifest(FP_B)).toMatchObject({ ok: true });
    expect(await store.readManifest(FP_C)).toMatchObject({ ok: true });
    expect(await verifyStore(store)).toEqual([]);
    expect((await store.listRuns()).length).toBe(3);
  });

  it("removes the work directory of a node whose result is committed, and keeps one a run can resume from", async () => {
    const { store } = await history();
    const FP_D = "d".repeat(64);
    for (const fp of [FP_C, FP_D]) {
      await mkdir(path.join(store.root, "work", fp, "checkpoints"), { recursive: true });
      await writeFile(path.join(store.root, "work", fp, "checkpoints", "last.safetensors"), "x".repeat(500));
    }
    const report = await gc(store);
    expect(report.removedWork).toEqual([path.join(store.root, "work", FP_C)]);
    expect(report.bytesFreed).toBeGreaterThanOrEqual(500);
    expect(await readdir(path.join(store.root, "work"))).toEqual([FP_D]);
  });

  it("without keepLast keeps every manifest and drops only unreferenced objects", async () => {
    const { store } = await history();
    const orphan = await store.putBytes("put by a run that crashed before its manifest");
    const report = await gc(store);
    expect(report.removedManifests).toEqual([]);
    expect(report.removedObjects).toEqual([orphan]);
  });

  it("keeps a failed attempt's logs while its run is kept, and frees them last when space runs short", async () => {
    const { store } = await history();
    const log = await store.putBytes("x".repeat(3000));
    await store.writeRun({
      version: 1, id: "20260104T000000Z-1-000004", pipeline: "p.sc", startedAt: "2026-01-04T00:00:00.000Z", status: "failed",
      nodes: [{ node: "bad", fingerprint: "e".repeat(64), action: "failed", error: "exited with code 3", logs: { stderr: log } }],
    });
    expect((await gc(store)).removedObjects).toEqual([]);
    expect((await gc(store, { keepLast: 1, dryRun: true })).removedObjects).not.toContain(log);
    // Everything else goes first; the log, named by the newest run, only when still over.
    const tight = await gc(store, { maxSize: 1, dryRun: true });
    expect(tight.removedObjects.at(-1)).toBe(log);
    expect((await gc(store, { maxSize: 5000, dryRun: true })).removedObjects).not.toContain(log);
  });

  it("over maxSize drops least recently used manifests first, with their objects", async () => {
    const { store, shared, onlyA, onlyB, onlyC } = await history();
    const total = (await gc(store, { dryRun: true })).bytesAfter;
    expect(total).toBeGreaterThan(7019); // objects alone; manifests and run records count too
    // A was last used by run 1, B by run 3 (restored), C by run 3: A goes first.
    const dry = await gc(store, { maxSize: total - 1, dryRun: true });
    expect(dry).toMatchObject({ removedManifests: [FP_A], removedObjects: [onlyA] });
    expect(await store.has(onlyA)).toBe(true);
    const report = await gc(store, { maxSize: total - 1 });
    expect(report).toMatchObject({ removedManifests: [FP_A], removedObjects: [onlyA], bytesFreed: dry.bytesFreed });
    expect(report.bytesAfter).toBe(total - report.bytesFreed);
    // Then B, newer than A but older than C (the tie in run 3 is broken by finishedAt); the shared object goes with it.
    const tight = await gc(store, { maxSize: report.bytesAfter - 1 });
    expect(tight.removedManifests).toEqual([FP_B]);
    expect([...tight.removedObjects].sort()).toEqual([shared, onlyB].sort());
    expect(await store.has(onlyC)).toBe(true);
    expect(await store.listManifests()).toEqual([FP_C]);
    expect(await verifyStore(store)).toEqual([]);
  });

  it("removes unreadable manifests and whatever in tmp/ has been left alone for a minute", async () => {
    const { store } = await history();
    await writeFile(store.manifestPath(FP_A), "{not json");
    const stale = path.join(store.tmpDir, "object.99.abc.tmp");
    const young = path.join(store.tmpDir, "object.98.def.tmp");
    await writeFile(stale, "partial");
    await writeFile(young, "in progress");
    await age(stale, 120);
    // A crashed run's working directory, and a live one whose directory is old but whose file is new.
    const deadDir = path.join(store.tmpDir, "node-dead");
    const liveDir = path.join(store.tmpDir, "node-live");
    for (const d of [deadDir, liveDir]) await mkdir(path.join(d, "sub"), { recursive: true });
    await writeFile(path.join(deadDir, "sub", "ckpt"), "x".repeat(100));
    await writeFile(path.join(liveDir, "sub", "ckpt"), "y");
    for (const p of [path.join(deadDir, "sub", "ckpt"), path.join(deadDir, "sub"), deadDir, path.join(liveDir, "sub"), liveDir]) await age(p, 120);
    expect((await verifyStore(store)).map((p) => p.kind).sort()).toEqual(["manifest-corrupt", "stray-tmp"]);
    const report = await gc(store);
    expect(report.removedManifests).toEqual([FP_A]);
    expect([...report.removedTmp].sort()).toEqual([deadDir, stale]);
    expect(report.bytesFreed).toBeGreaterThanOrEqual(100 + "partial".length);
    expect((await readdir(store.tmpDir)).sort()).toEqual(["node-live", path.basename(young)]);
    // What is left is still counted in the size left.
    expect(report.scratchLeft).toBe("in progress".length + "y".length);
  });

  it("removeStaleScratch, which a run calls first, removes the same scratch as gc and nothing younger", async () => {
    const store = await Store.open(await tempDir());
    await mkdir(store.tmpDir, { recursive: true });
    const stale = path.join(store.tmpDir, "node-dead");
    const young = path.join(store.tmpDir, "object.98.def.tmp");
    await mkdir(stale);
    await writeFile(path.join(stale, ".data.jsonl.4242.abc.tmp"), "x".repeat(50));
    await writeFile(young, "in progress");
    for (const p of [path.join(stale, ".data.jsonl.4242.abc.tmp"), stale]) await age(p, 120);
    expect(await removeStaleScratch(store)).toBe(50);
    expect(await readdir(store.tmpDir)).toEqual([path.basename(young)]);
  });
});

describe("verifyStore", () => {
  it("finds nothing wrong with a sound store", async () => {
    const { store } = await history();
    expect(await verifyStore(store)).toEqual([]);
  });

  it("finds a corrupted object and the manifests that list it", async () => {
    const { store, onlyB } = await history();
    const p = store.objectPath(onlyB);
    await chmod(p, 0o644);
    await writeFile(p, "X".repeat(2000));
    const problems = await verifyStore(store);
    expect(problems.map((x) => x.kind)).toEqual(["object-corrupt", "manifest-object-corrupt"]);
    expect(problems[1]).toMatchObject({ fingerprint: FP_B, digest: onlyB });
    // Without re-hashing, same-size damage goes unseen: that is what the default is for.
    expect(await verifyStore(store, { rehash: false })).toEqual([]);
  });

  it("reports manifests pointing at missing objects, unreadable records and stray files", async () => {
    const { store, onlyC } = await history();
    await store.deleteObject(onlyC);
    await writeFile(path.join(store.root, "runs", "20260109T000000Z-1-999999.json"), "[]");
    await writeFile(path.join(store.root, "objects", "sha256", "zz-not-an-object"), "");
    const problems = await verifyStore(store);
    expect(problems.map((x) => x.kind).sort()).toEqual(["manifest-object-missing", "object-misnamed", "run-corrupt"]);
  });

  it("after an interrupted write, reports only the stray scratch file and sees no half-written manifest", async () => {
    const { store, shared } = await history();
    const FP_D = "d".repeat(64);
    const whole = JSON.stringify(manifest(FP_D, [{ name: "tok", digest: shared, size: 19 }]));
    const partial = path.join(store.tmpDir, `${FP_D}.json.4242.0badc0de.tmp`);
    await writeFile(partial, whole.slice(0, 40));
    const halfObject = path.join(store.tmpDir, "object.4242.feedface.tmp");
    await writeFile(halfObject, "first half of a lar");
    expect(await verifyStore(store)).toEqual([]); // young scratch files may be a write in progress
    await age(partial, 120);
    await age(halfObject, 120);
    const problems = await verifyStore(store);
    expect(problems.map((x) => x.kind)).toEqual(["stray-tmp", "stray-tmp"]);
    expect(await store.readManifest(FP_D)).toMatchObject({ ok: false, reason: "missing" });
    expect(await store.listManifests()).toEqual([FP_A, FP_B, FP_C]);
  });
});

describe("sizes", () => {
  it("parse with 1024-based units", () => {
    expect(parseSize("10G")).toEqual({ ok: true, value: 10 * 1024 ** 3 });
    expect(parseSize("10GB")).toEqual({ ok: true, value: 10 * 1024 ** 3 });
    expect(parseSize("10gib")).toEqual({ ok: true, value: 10 * 1024 ** 3 });
    expect(parseSize("1.5 M")).toEqual({ ok: true, value: 1.5 * 1024 ** 2 });
    expect(parseSize("2T")).toEqual({ ok: true, value: 2 * 1024 ** 4 });
    expect(parseSize("512")).toEqual({ ok: true, value: 512 });
    expect(parseSize("512B")).toEqual({ ok: true, value: 512 });
    for (const bad of ["", "G", "-1G", "10X", "10 GG", "1e3", "10iB"]) expect(parseSize(bad).ok, bad).toBe(false);
  });

  it("format for people", () => {
    expect(formatSize(512)).toBe("512 B");
    expect(formatSize(1536)).toBe("1.5 KiB");
    expect(formatSize(10 * 1024 ** 3)).toBe("10 GiB");
  });
});
