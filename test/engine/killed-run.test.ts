import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cleanup, pidWritten, planJson, sc, spawnCli, tempDir, writeTree } from "./helpers.js";

const dirs: string[] = [];
beforeAll(() => assertBuilt());
afterAll(() => cleanup(...dirs));

/**
 * A command that records its pid, writes half of its output, and then, unless the file `fast` exists,
 * starts a sleep long enough to be caught by a SIGKILL of stagecraft before it finishes the output.
 */
const PIPELINE = `stage slow : command {
  run = ["sh", "-c", "echo $$ > pid.txt; echo half > out/a.txt; if [ ! -e fast ]; then sleep 30 & echo $! > sleep.pid; wait; fi; echo whole > out/a.txt"]
  outputs = ["out/a.txt"]
}
`;

/** Running, and not a zombie (an orphan's reaper may be slow, or absent in a container). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe.runIf(existsSync("/proc/self/environ"))("a run killed with SIGKILL", () => {
  it("leaves a command running, which the next run stops; what it half-wrote is replaced, not kept", async () => {
    const dir = tempDir("killed");
    dirs.push(dir);
    writeTree(dir, { "p.sc": PIPELINE });
    const first = spawnCli(dir, ["run", "p.sc"]);
    await first.waitFor(/▶ slow/);
    // sleep.pid is written once the sleep has started: from then on, both processes are running.
    const sleeper = await pidWritten(path.join(dir, "sleep.pid"));
    const orphan = await pidWritten(path.join(dir, "pid.txt"));
    first.child.kill("SIGKILL");
    await first.done;
    // The command has its own process group, so it outlived stagecraft, mid-output.
    expect(alive(orphan) && alive(sleeper)).toBe(true);
    expect(readFileSync(path.join(dir, "out/a.txt"), "utf8")).toBe("half\n");

    writeFileSync(path.join(dir, "fast"), "");
    const next = await sc(dir, ["run", "p.sc"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/took over a stale lock left by pid \d+ \(no longer running; last heartbeat \d+ s ago; stopped 2 processes it had left running\)/);
    // The shell and the sleep it started.
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(orphan) || alive(sleeper)).toBe(false);
    // The half-written output was the killed command's, not the user's: replaced, with no copy kept.
    expect(next.stderr).not.toContain("kept as");
    expect(readdirSync(path.join(dir, "out"))).toEqual(["a.txt"]);
    expect(readFileSync(path.join(dir, "out/a.txt"), "utf8")).toBe("whole\n");
    // Nothing is left journalled once the run has written the output again.
    expect(readdirSync(path.join(dir, ".stagecraft", "inflight"))).toEqual([]);
    expect((await planJson(dir, "p.sc")).totals.run).toBe(0);
  }, 30_000);
});
