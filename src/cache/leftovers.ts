import { readdir, readFile } from "node:fs/promises";

/**
 * Processes a run started carry its lock's token in their environment (STAGECRAFT_RUN_TOKEN, set by
 * `run` once it holds the lock, and inherited by every command, scorer and what they start). When a
 * run is killed outright (SIGKILL, the OOM killer), its commands live on as orphans and may still be
 * writing outputs; whoever takes over its lock stops them first. Linux only: elsewhere there is no
 * /proc to find them by, and nothing is stopped.
 */
export const RUN_TOKEN_ENV = "STAGECRAFT_RUN_TOKEN";

/** Stops (SIGKILL) every process whose environment holds `token`; returns how many. */
export async function stopLeftovers(token: string, procRoot = "/proc"): Promise<number> {
  const needle = `${RUN_TOKEN_ENV}=${token}`;
  const pids = (await readdir(procRoot).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  let stopped = 0;
  for (const pid of pids) {
    if (pid === process.pid) continue;
    // Another user's process cannot be read (EACCES), and one may exit meanwhile: both are skipped.
    const env = await readFile(`${procRoot}/${pid}/environ`, "latin1").catch(() => "");
    if (!env.split("\0").includes(needle)) continue;
    try {
      process.kill(pid, "SIGKILL");
      stopped++;
    } catch {
      // Gone already.
    }
  }
  return stopped;
}
