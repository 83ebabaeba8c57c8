import { randomBytes } from "node:crypto";
import { readFile, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { ensureDir, readdirIfExists } from "./files.js";
import { pidAlive } from "./lock-file.js";

/**
 * While a command runs, the outputs it is writing are listed in a journal under `<store>/inflight/`,
 * removed when it ends. A journal whose process died (stagecraft killed with SIGKILL, the machine
 * lost) says that what those files hold is that command's partial output, not the user's: the next
 * run may write over it without keeping a copy (see runtime/outputs.ts), and the plan calls it so.
 * A dead process's journal is pared down by each later run to what it has not yet written over or
 * put back, and removed when nothing is left.
 */

const DIR = "inflight";

interface Journal {
  readonly pid: number;
  readonly host: string;
  readonly outputs: readonly string[];
}

/** Lists `outputs` (absolute paths) as being written; the returned function removes the entry. */
export async function markWriting(root: string, outputs: readonly string[]): Promise<() => Promise<void>> {
  if (outputs.length === 0) return async () => {};
  const dir = path.join(root, DIR);
  await ensureDir(dir);
  const file = path.join(dir, `${process.pid}-${randomBytes(6).toString("hex")}.json`);
  const journal: Journal = { pid: process.pid, host: hostname(), outputs };
  await writeFile(file, JSON.stringify(journal));
  return () => unlink(file).catch(() => undefined);
}

async function journals(root: string): Promise<{ file: string; journal: Journal | undefined }[]> {
  const dir = path.join(root, DIR);
  const names = (await readdirIfExists(dir)).filter((n) => n.endsWith(".json"));
  return Promise.all(
    names.map(async (n) => {
      const file = path.join(dir, n);
      try {
        const v = JSON.parse(await readFile(file, "utf8")) as Partial<Journal>;
        const ok = typeof v.pid === "number" && typeof v.host === "string" && Array.isArray(v.outputs) && v.outputs.every((o) => typeof o === "string");
        return { file, journal: ok ? (v as Journal) : undefined };
      } catch {
        return { file, journal: undefined };
      }
    }),
  );
}

/** A journal of this host whose process is gone; another host's cannot be judged from here. */
function dead(j: Journal): boolean {
  return j.host === hostname() && !pidAlive(j.pid);
}

/** The outputs (absolute paths) that commands of runs that died were writing. */
export async function partialOutputs(root: string): Promise<ReadonlySet<string>> {
  const out = new Set<string>();
  for (const { journal } of await journals(root)) if (journal && dead(journal)) for (const o of journal.outputs) out.add(o);
  return out;
}

/**
 * Takes `settled` (absolute paths a run has since written or put back) out of the journals of
 * processes that died, removing a journal once nothing in it is left (and unreadable ones, which a
 * dying write left).
 */
export async function settleDeadJournals(root: string, settled: ReadonlySet<string>): Promise<void> {
  for (const { file, journal } of await journals(root)) {
    if (journal && !dead(journal)) continue;
    const left = journal?.outputs.filter((o) => !settled.has(o)) ?? [];
    if (left.length === 0) await unlink(file).catch(() => undefined);
    else if (left.length < journal!.outputs.length) await writeFile(file, JSON.stringify({ ...journal, outputs: left }));
  }
}
