import { readFileSync } from "node:fs";
import { link, open, rename } from "node:fs/promises";
import { isErrno, removeQuietly, scratchName } from "./files.js";
import { isRecord } from "./manifest.js";

/** What a lock file says about its holder. */
export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  /** Tells two holders apart even when a pid is reused or two locks are taken in one process. */
  readonly token: string;
  readonly startedAt: string;
  readonly heartbeatAt: string;
}

/** One version of a lock file as read: inode and bytes identify it, since every heartbeat replaces the file. */
export interface SeenLock {
  readonly raw: string;
  readonly ino: number;
  readonly mtimeMs: number;
  /** Undefined when the content is not a lock (left empty by a crash between create and write). */
  readonly info: LockInfo | undefined;
}

export async function readLock(file: string): Promise<SeenLock | undefined> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
  try {
    const s = await fh.stat();
    const raw = await fh.readFile("utf8");
    return { raw, ino: s.ino, mtimeMs: s.mtimeMs, info: parseLockInfo(raw) };
  } finally {
    await fh.close();
  }
}

export function sameVersion(a: SeenLock | undefined, b: SeenLock): boolean {
  return a !== undefined && a.ino === b.ino && a.raw === b.raw;
}

/** Creates `file` only if it does not exist (O_EXCL); false when it does. */
export async function createExclusive(file: string, content: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, "wx");
  } catch (e) {
    if (isErrno(e, "EEXIST")) return false;
    throw e;
  }
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  return true;
}

/**
 * When process `pid` started, in ms since the epoch, from /proc (Linux); undefined where that cannot
 * be read. A lock's pid that now belongs to a process started after the lock was taken is not its
 * holder: that holder died and the pid was reused.
 */
export function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the command name in parentheses, the third field is number 0; starttime is field 22.
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    // Clock ticks are USER_HZ, 100 on every Linux that Node runs on.
    return Number.isFinite(ticks) && Number.isFinite(btime) ? (btime + ticks / 100) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return !isErrno(e, "ESRCH");
  }
}

/**
 * Moves `file` aside and deletes it, but only if what was moved is exactly `stale`; anything newer is
 * put back (with link, which fails rather than overwrite a file created meanwhile).
 */
export async function removeIfUnchanged(file: string, scratch: string, stale: SeenLock): Promise<boolean> {
  const aside = scratchName(scratch, "lock-aside");
  try {
    await rename(file, aside);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return false;
    throw e;
  }
  const moved = await readLock(aside);
  const removed = sameVersion(moved, stale);
  if (!removed) {
    try {
      await link(aside, file);
    } catch (e) {
      if (!isErrno(e, "EEXIST")) throw e;
    }
  }
  await removeQuietly(aside);
  return removed;
}

export function parseLockInfo(raw: string): LockInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(v) || !Number.isSafeInteger(v["pid"]) || (v["pid"] as number) <= 0) return undefined;
  const strings = ["host", "token", "startedAt", "heartbeatAt"] as const;
  if (!strings.every((k) => typeof v[k] === "string")) return undefined;
  if (Number.isNaN(Date.parse(v["heartbeatAt"] as string))) return undefined;
  return v as unknown as LockInfo;
}
