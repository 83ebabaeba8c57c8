import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock, describeTakeover, LOCK_FILE, type LockInfo, readLockHolder, type Takeover } from "../../src/cache/lock.js";
import { age, tempDir } from "./helpers.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function plant(root: string, over: Partial<LockInfo>): Promise<LockInfo> {
  const at = new Date().toISOString();
  const info: LockInfo = { pid: process.pid, host: hostname(), token: "planted", startedAt: at, heartbeatAt: at, ...over };
  await writeFile(path.join(root, LOCK_FILE), JSON.stringify(info));
  return info;
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid!;
}

async function mustAcquire(root: string, opts: Parameters<typeof acquireLock>[1] = {}) {
  const r = await acquireLock(root, opts);
  if (!r.ok) throw new Error(`lock not acquired: ${r.error.reason}`);
  return r.value;
}

describe("run lock", () => {
  it("is a file naming its holder, removed on release", async () => {
    const root = await tempDir();
    const lock = await mustAcquire(root);
    expect(await readLockHolder(root)).toMatchObject({ pid: process.pid, host: hostname(), token: lock.info.token });
    await lock.release();
    expect(await readLockHolder(root)).toBeUndefined();
  });

  it("makes a second acquire wait until the first releases", async () => {
    const root = await tempDir();
    const first = await mustAcquire(root);
    const waitedOn: (LockInfo | undefined)[] = [];
    let second: Awaited<ReturnType<typeof acquireLock>> | undefined;
    const pending = acquireLock(root, { pollMs: 20, onWait: (h) => waitedOn.push(h) }).then((r) => (second = r));
    await sleep(300);
    expect(second).toBeUndefined();
    expect(waitedOn.map((h) => h?.token)).toEqual([first.info.token]);
    await first.release();
    await pending;
    expect(second?.ok).toBe(true);
    if (second?.ok) await second.value.release();
  });

  it("without wait, reports who holds a live lock", async () => {
    const root = await tempDir();
    const first = await mustAcquire(root);
    const r = await acquireLock(root, { wait: false });
    expect(r).toMatchObject({ ok: false, error: { reason: "held", holder: { token: first.info.token } } });
    await first.release();
  });

  it("stops waiting when aborted", async () => {
    const root = await tempDir();
    const first = await mustAcquire(root);
    const r = await acquireLock(root, { pollMs: 20, signal: AbortSignal.timeout(100) });
    expect(r).toMatchObject({ ok: false, error: { reason: "aborted" } });
    await first.release();
  });

  it("refreshes its heartbeat", async () => {
    const root = await tempDir();
    const lock = await mustAcquire(root, { heartbeatMs: 30 });
    const before = (await readLockHolder(root))!.heartbeatAt;
    await sleep(150);
    const after = await readLockHolder(root);
    expect(after?.token).toBe(lock.info.token);
    expect(Date.parse(after!.heartbeatAt)).toBeGreaterThan(Date.parse(before));
    await lock.release();
  });

  it("takes over a lock whose process is gone, at once", async () => {
    const root = await tempDir();
    const pid = deadPid();
    await plant(root, { pid });
    const takeovers: Takeover[] = [];
    const started = Date.now();
    const lock = await mustAcquire(root, { onTakeover: (t) => takeovers.push(t) });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(takeovers).toMatchObject([{ reason: "dead-pid", holder: { pid } }]);
    expect(describeTakeover(takeovers[0]!)).toContain(`left by pid ${pid}`);
    await lock.release();
  });

  it("never takes over a live holder on this host, however old its heartbeat: it may be stopped or busy", async () => {
    const root = await tempDir();
    await plant(root, { heartbeatAt: new Date(Date.now() - 14_200).toISOString() });
    expect(await acquireLock(root, { wait: false, staleMs: 10_000 })).toMatchObject({ ok: false, error: { reason: "held" } });
  });

  it("takes over a lock whose pid now belongs to a process started after the lock was taken", async () => {
    const root = await tempDir();
    // This process started after 2001, so it cannot be the holder of a lock taken then.
    await plant(root, { startedAt: "2001-01-01T00:00:00.000Z", heartbeatAt: new Date(Date.now() - 14_200).toISOString() });
    const takeovers: Takeover[] = [];
    const lock = await mustAcquire(root, { staleMs: 10_000, onTakeover: (t) => takeovers.push(t) });
    expect(takeovers).toMatchObject([{ reason: "dead-pid", holder: { pid: process.pid } }]);
    expect(describeTakeover(takeovers[0]!)).toBe(`took over a stale lock left by pid ${process.pid} (no longer running; last heartbeat 14 s ago)`);
    await lock.release();
  });

  it("leaves a live lock with a recent heartbeat alone", async () => {
    const root = await tempDir();
    await plant(root, { heartbeatAt: new Date(Date.now() - 5_000).toISOString() });
    expect(await acquireLock(root, { wait: false, staleMs: 10_000 })).toMatchObject({ ok: false, error: { reason: "held" } });
  });

  it("does not trust another host's clock: its lock must also stay unchanged while we watch", async () => {
    const root = await tempDir();
    await plant(root, { host: "elsewhere.example", pid: 1, heartbeatAt: new Date(Date.now() - 3_600_000).toISOString() });
    expect(await acquireLock(root, { wait: false, staleMs: 200 })).toMatchObject({ ok: false, error: { reason: "held" } });
    const takeovers: Takeover[] = [];
    const started = Date.now();
    const lock = await mustAcquire(root, { staleMs: 200, pollMs: 20, onTakeover: (t) => takeovers.push(t) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(takeovers).toMatchObject([{ reason: "stale-heartbeat", holder: { host: "elsewhere.example" } }]);
    expect(describeTakeover(takeovers[0]!)).toContain("on elsewhere.example");
    await lock.release();
  });

  it("takes over a lock file left empty by a crash, once it is old", async () => {
    const root = await tempDir();
    const file = path.join(root, LOCK_FILE);
    await writeFile(file, "");
    expect(await acquireLock(root, { wait: false })).toMatchObject({ ok: false, error: { reason: "held", holder: undefined } });
    await age(file, 30);
    const takeovers: Takeover[] = [];
    const lock = await mustAcquire(root, { onTakeover: (t) => takeovers.push(t) });
    expect(takeovers).toMatchObject([{ reason: "unreadable", holder: undefined }]);
    await lock.release();
  });

  it("notices being taken over, and then releases nothing", async () => {
    const root = await tempDir();
    let lostCalls = 0;
    const lock = await mustAcquire(root, { heartbeatMs: 30, onLost: () => lostCalls++ });
    const usurper = await plant(root, { token: "usurper" });
    await sleep(150);
    expect(lock.lost).toBe(true);
    expect(lostCalls).toBe(1);
    await lock.release();
    expect(JSON.parse(await readFile(path.join(root, LOCK_FILE), "utf8"))).toEqual(usurper);
  });

  it("lets exactly one of several waiters take over a stale lock", async () => {
    const root = await tempDir();
    await plant(root, { pid: deadPid() });
    const takeovers: Takeover[] = [];
    const held: string[] = [];
    const contenders = Array.from({ length: 8 }, async (_, i) => {
      const lock = await mustAcquire(root, { pollMs: 10, onTakeover: (t) => takeovers.push(t) });
      // While holding, nobody else may hold.
      held.push(`+${i}`);
      await sleep(30);
      held.push(`-${i}`);
      await lock.release();
    });
    await Promise.all(contenders);
    expect(takeovers).toHaveLength(1);
    for (let k = 0; k < held.length; k += 2) expect(held[k]!.slice(1)).toBe(held[k + 1]!.slice(1));
  });
});
