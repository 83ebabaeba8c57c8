import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, LOCK_FILE, readLockHolder, type Takeover } from "../../src/cache/lock.js";
import { tempDir } from "./helpers.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const lockModule = pathToFileURL(path.join(repo, "src/cache/lock.ts")).href;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** A separate node process running `body` with `acquireLock` in scope (TypeScript loaded through tsx). */
function node(body: string): { child: ChildProcess; line: (re: RegExp) => Promise<string>; exited: Promise<number | null> } {
  const code = `const { acquireLock } = await import(${JSON.stringify(lockModule)});\n${body}`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const line = (re: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = out.split("\n").find((l) => re.test(l));
        if (m !== undefined) return resolve(m);
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`child exited: ${err}`));
        setTimeout(check, 20);
      };
      check();
    });
  return { child, line, exited };
}

const holdForever = (root: string): string => `
const r = await acquireLock(${JSON.stringify(root)}, { heartbeatMs: 100, staleMs: 1000 });
if (!r.ok) { console.log("failed " + r.error.reason); process.exit(1); }
console.log("locked " + process.pid);
setInterval(() => {}, 1000);
`;

describe("run lock across processes", () => {
  it("a process killed with SIGKILL leaves a lock that a waiter takes over via the dead-pid check", async () => {
    const root = await tempDir();
    const holder = node(holdForever(root));
    await holder.line(/^locked/);
    const pid = holder.child.pid!;
    expect(await acquireLock(root, { wait: false })).toMatchObject({ ok: false, error: { reason: "held", holder: { pid } } });

    const takeovers: Takeover[] = [];
    let waited = false;
    const pending = acquireLock(root, { staleMs: 1000, pollMs: 50, onWait: () => (waited = true), onTakeover: (t) => takeovers.push(t) });
    await new Promise((r) => setTimeout(r, 300));
    expect(waited).toBe(true);
    const killedAt = Date.now();
    holder.child.kill("SIGKILL");
    const r = await pending;
    expect(r.ok).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(1000);
    expect(takeovers).toMatchObject([{ reason: "dead-pid", holder: { pid } }]);
    if (r.ok) await r.value.release();
  });

  it("a stopped process keeps its lock: a waiter waits past staleMs and takes it once the holder is gone", async () => {
    const root = await tempDir();
    const holder = node(holdForever(root));
    await holder.line(/^locked/);
    holder.child.kill("SIGSTOP");
    const takeovers: Takeover[] = [];
    const waiting = acquireLock(root, { staleMs: 500, pollMs: 50, onTakeover: (t) => takeovers.push(t) });
    await new Promise((r) => setTimeout(r, 1500));
    expect(takeovers).toEqual([]);
    holder.child.kill("SIGKILL");
    const r = await waiting;
    expect(r.ok).toBe(true);
    expect(takeovers).toMatchObject([{ reason: "dead-pid", holder: { pid: holder.child.pid } }]);
    if (r.ok) await r.value.release();
  });

  it("the heartbeat timer does not keep a process alive, and what it leaves is taken over at once", async () => {
    const root = await tempDir();
    const quitter = node(`
const r = await acquireLock(${JSON.stringify(root)}, { heartbeatMs: 50 });
console.log(r.ok ? "locked" : "failed");
`);
    expect(await quitter.exited).toBe(0);
    expect((await readLockHolder(root))?.pid).toBe(quitter.child.pid);
    const takeovers: Takeover[] = [];
    const r = await acquireLock(root, { wait: false, onTakeover: (t) => takeovers.push(t) });
    expect(r.ok).toBe(true);
    expect(takeovers.map((t) => t.reason)).toEqual(["dead-pid"]);
    if (r.ok) await r.value.release();
  });

  it("gives the lock to one process at a time", async () => {
    const root = await tempDir();
    const log = path.join(root, "log");
    const worker = `
import { appendFile } from "node:fs/promises";
for (let i = 0; i < 5; i++) {
  const r = await acquireLock(${JSON.stringify(root)}, { pollMs: 5 });
  if (!r.ok) process.exit(1);
  await appendFile(${JSON.stringify(log)}, "+" + process.pid + "\\n");
  await new Promise((res) => setTimeout(res, 5));
  await appendFile(${JSON.stringify(log)}, "-" + process.pid + "\\n");
  await r.value.release();
}`;
    const workers = [node(worker), node(worker), node(worker), node(worker)];
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0, 0]);
    const lines = (await readFile(log, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(40);
    for (let k = 0; k < lines.length; k += 2) {
      expect(lines[k]!.startsWith("+")).toBe(true);
      expect(lines[k + 1]).toBe(`-${lines[k]!.slice(1)}`);
    }
    await expect(readFile(path.join(root, LOCK_FILE))).rejects.toThrow(/ENOENT/);
  });
});
