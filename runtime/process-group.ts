/**
 * Programs stagecraft starts (commands, external scorers) lead process groups of their own, so
 * stopping one stops what it started too (a shell's children, a launcher's workers), which would
 * otherwise keep running and keep its pipes open. A group no longer hears the terminal's Ctrl-C, so
 * if stagecraft exits without waiting for them (a second Ctrl-C), it stops them on the way out.
 */
const live = new Set<number>();
process.on("exit", () => {
  // SIGKILL: a program that ignores SIGTERM (a second Ctrl-C comes when the first was not enough)
  // must not outlive us and write into a later run's outputs.
  for (const pid of live) killGroup(pid, "SIGKILL");
});

/** Notes a group as running until `done` settles. */
export function trackGroup(pid: number | undefined, done: Promise<unknown>): void {
  if (pid === undefined) return;
  live.add(pid);
  void done.finally(() => live.delete(pid)).catch(() => undefined);
}

/** Signals a process group; it may be gone already. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(process.platform === "win32" ? pid : -pid, signal);
  } catch {
    // Already exited.
  }
}

/** SIGTERM to the group, then SIGKILL after `graceMs` unless cancelled by the returned function. */
export function stopGroup(pid: number | undefined, graceMs = 2000, then?: () => void): () => void {
  killGroup(pid, "SIGTERM");
  const force = setTimeout(() => {
    killGroup(pid, "SIGKILL");
    then?.();
  }, graceMs);
  return () => clearTimeout(force);
}
