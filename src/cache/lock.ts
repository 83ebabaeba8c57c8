import { randomBytes } from "node:crypto";
import { unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureDir, isErrno, writeFileAtomic } from "./files.js";
import { stopLeftovers } from "./leftovers.js";
import {
  createExclusive,
  type LockInfo,
  pidAlive,
  processStartMs,
  readLock,
  removeIfUnchanged,
  sameVersion,
  type SeenLock,
} from "./lock-file.js";

export type { LockInfo } from "./lock-file.js";

/**
 * The run lock: `lock.json` in the store root, created with O_EXCL and kept alive by a heartbeat (as
 * Wireit does), so a crashed run never needs a manual unlock. A lock is taken over when its holder's
 * process is gone (same host), or, for another host's lock, when its heartbeat is older than `staleMs`.
 *
 * Removing a stale lock is the one destructive step, so it happens only while holding a second file,
 * `lock.json.takeover` (also O_EXCL), and only after re-reading the lock and finding the very version
 * judged stale; then the taker competes for a fresh O_EXCL create like everyone else. A holder checks
 * the file is still its own before each heartbeat and marks the lock `lost` if not.
 */

export const LOCK_FILE = "lock.json";
const TAKEOVER_FILE = "lock.json.takeover";

/** /proc gives a start time to the clock tick, and the boot time to the second. */
const PID_START_SLACK_MS = 2000;

/** How old a lock's heartbeat may be before the lock counts as left behind (another host's lock). */
export const STALE_LOCK_MS = 10_000;

export type TakeoverReason = "dead-pid" | "stale-heartbeat" | "unreadable";

export interface Takeover {
  readonly reason: TakeoverReason;
  /** Undefined when the lock file could not be read. */
  readonly holder: LockInfo | undefined;
  /** Since the holder's last heartbeat, or since an unreadable file was last modified. */
  readonly heartbeatAgeMs: number;
  /** Processes the dead holder had started and left running, stopped (see leftovers.ts). */
  readonly stopped: number;
}

export interface LockOptions {
  readonly heartbeatMs?: number;
  readonly staleMs?: number;
  /** Wait for a live lock to be released or go stale; when false, a live lock is reported at once. */
  readonly wait?: boolean;
  readonly pollMs?: number;
  /** Stops waiting (Ctrl-C, or a timeout with AbortSignal.timeout). */
  readonly signal?: AbortSignal;
  /** Called once, when acquiring starts to wait on a live lock. */
  readonly onWait?: (holder: LockInfo | undefined) => void;
  readonly onTakeover?: (t: Takeover) => void;
  /** Called if another process takes the lock over from this one (this one stalled past staleMs). */
  readonly onLost?: () => void;
}

export interface RunLock {
  readonly info: LockInfo;
  /** True once another process has taken the lock over; the holder should stop writing. */
  readonly lost: boolean;
  release(): Promise<void>;
}

export type LockResult =
  | { readonly ok: true; readonly value: RunLock }
  | { readonly ok: false; readonly error: { readonly reason: "held" | "aborted"; readonly holder: LockInfo | undefined } };

export async function acquireLock(root: string, opts: LockOptions = {}): Promise<LockResult> {
  const { heartbeatMs = 2000, staleMs = STALE_LOCK_MS, wait = true, pollMs = 200 } = opts;
  const dir = path.resolve(root);
  const file = path.join(dir, LOCK_FILE);
  const scratch = path.join(dir, "tmp");
  await ensureDir(scratch);
  const now = new Date().toISOString();
  const token = randomBytes(8).toString("hex");
  const info: LockInfo = { pid: process.pid, host: hostname(), token, startedAt: now, heartbeatAt: now };
  // For locks of other hosts, whose clocks we cannot trust: when we first saw each version of the file.
  const firstSeen = new Map<string, number>();
  let waiting = false;
  for (;;) {
    if (opts.signal?.aborted) return { ok: false, error: { reason: "aborted", holder: undefined } };
    if (await createExclusive(file, JSON.stringify(info))) {
      return { ok: true, value: new HeldLock(file, scratch, info, heartbeatMs, opts.onLost) };
    }
    const seen = await readLock(file);
    if (!seen) continue; // released between our create and our read
    const takeover = judge(seen, staleMs, firstSeen);
    if (takeover && (await removeStale(dir, seen, info, staleMs, firstSeen))) {
      // Only a holder known dead: a stalled one is alive, and stops its own when it sees the loss.
      const stopped = takeover.reason === "dead-pid" && takeover.holder ? await stopLeftovers(takeover.holder.token) : 0;
      opts.onTakeover?.({ ...takeover, stopped });
      continue;
    }
    if (!wait) return { ok: false, error: { reason: "held", holder: seen.info } };
    if (!waiting) opts.onWait?.(seen.info);
    waiting = true;
    try {
      await sleep(pollMs, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch {
      return { ok: false, error: { reason: "aborted", holder: seen.info } };
    }
  }
}

/** The line the CLI prints, e.g. "took over a stale lock left by pid 4121 (last heartbeat 14 s ago)". */
export function describeTakeover(t: Takeover): string {
  const age = `${Math.round(t.heartbeatAgeMs / 1000)} s ago`;
  if (!t.holder) return `took over an unreadable lock file (last written ${age})`;
  const where = t.holder.host === hostname() ? "" : ` on ${t.holder.host}`;
  const gone = t.reason === "dead-pid" ? "no longer running; " : "";
  const stopped = t.stopped ? `; stopped ${t.stopped} process${t.stopped === 1 ? "" : "es"} it had left running` : "";
  return `took over a stale lock left by pid ${t.holder.pid}${where} (${gone}last heartbeat ${age}${stopped})`;
}

/** Who holds the lock at `root` now, if anyone and if the file is readable (for status output). */
export async function readLockHolder(root: string): Promise<LockInfo | undefined> {
  return (await readLock(path.join(path.resolve(root), LOCK_FILE)))?.info;
}

class HeldLock implements RunLock {
  private current: LockInfo;
  private beating: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private isLost = false;

  constructor(
    private readonly file: string,
    private readonly scratch: string,
    info: LockInfo,
    heartbeatMs: number,
    private readonly onLost: (() => void) | undefined,
  ) {
    this.current = info;
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat());
    }, heartbeatMs);
    // A forgotten lock must never keep the process alive; once the process is gone the lock is stale.
    this.timer.unref();
  }

  get info(): LockInfo {
    return this.current;
  }

  get lost(): boolean {
    return this.isLost;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    if (this.isLost) return;
    const seen = await readLock(this.file);
    if (seen?.info?.token !== this.current.token) return;
    try {
      await unlink(this.file);
    } catch (e) {
      if (!isErrno(e, "ENOENT")) throw e;
    }
  }

  private async beat(): Promise<void> {
    if (this.isLost) return;
    try {
      const seen = await readLock(this.file);
      if (seen?.info?.token !== this.current.token) {
        this.isLost = true;
        clearInterval(this.timer);
        this.onLost?.();
        return;
      }
      this.current = { ...this.current, heartbeatAt: new Date().toISOString() };
      await writeFileAtomic(this.scratch, this.file, JSON.stringify(this.current), { durable: false });
    } catch {
      // A failed beat (full disk, flaky network mount) is retried at the next tick; if they keep
      // failing the lock goes stale, and the token check above reports the takeover.
    }
  }
}

/** A stale lock's takeover, or undefined while it is live. */
function judge(seen: SeenLock, staleMs: number, firstSeen: Map<string, number>): Omit<Takeover, "stopped"> | undefined {
  const now = Date.now();
  const h = seen.info;
  if (!h) {
    const age = now - seen.mtimeMs;
    return age > staleMs ? { reason: "unreadable", holder: undefined, heartbeatAgeMs: age } : undefined;
  }
  const age = now - Date.parse(h.heartbeatAt);
  if (h.host === hostname()) {
    // A live holder here is never taken over, however old its heartbeat: it may be stopped (Ctrl-Z)
    // or busy, and would go on writing into the cache and the outputs beside a second run. Its pid
    // counts as gone once it belongs to a process that started after the lock was taken.
    const start = pidAlive(h.pid) ? processStartMs(h.pid) : undefined;
    const gone = !pidAlive(h.pid) || (start !== undefined && start > Date.parse(h.startedAt) + PID_START_SLACK_MS);
    return gone ? { reason: "dead-pid", holder: h, heartbeatAgeMs: Math.max(0, age) } : undefined;
  }
  // Another host's clock may be off, so its timestamp alone is not enough: the file must also have
  // stayed unchanged for staleMs by our own clock.
  const key = `${seen.ino}:${seen.raw}`;
  const since = firstSeen.get(key) ?? now;
  firstSeen.set(key, since);
  const unchangedFor = now - since;
  return age > staleMs && unchangedFor >= staleMs ? { reason: "stale-heartbeat", holder: h, heartbeatAgeMs: age } : undefined;
}

/** Removes the stale lock `stale` under the takeover file; false if someone else is taking over, or the lock moved on. */
async function removeStale(
  dir: string,
  stale: SeenLock,
  me: LockInfo,
  staleMs: number,
  firstSeen: Map<string, number>,
): Promise<boolean> {
  const mutex = path.join(dir, TAKEOVER_FILE);
  const mine = JSON.stringify({ ...me, heartbeatAt: new Date().toISOString() });
  if (!(await createExclusive(mutex, mine))) {
    // A taker that died inside the few milliseconds it holds this file would block everyone; clear it.
    const other = await readLock(mutex);
    if (other && judge(other, staleMs, firstSeen)) await removeIfUnchanged(mutex, path.join(dir, "tmp"), other);
    return false;
  }
  try {
    const file = path.join(dir, LOCK_FILE);
    if (!sameVersion(await readLock(file), stale)) return false;
    await unlink(file);
    return true;
  } finally {
    const held = await readLock(mutex);
    if (held?.raw === mine) await unlink(mutex).catch(() => undefined);
  }
}
