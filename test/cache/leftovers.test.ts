import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { RUN_TOKEN_ENV, stopLeftovers } from "../../src/cache/leftovers.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function sleeper(env: Record<string, string>): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn("sleep", ["30"], { env: { ...process.env, ...env }, stdio: "ignore" });
  children.push(child);
  return { child, exited: new Promise((r) => child.on("exit", (_code, signal) => r(signal))) };
}

/** Waits until each child runs `sleep` (before its exec, /proc shows the parent's environment). */
async function execd(...children: ChildProcess[]): Promise<void> {
  for (const c of children) {
    for (let i = 0; i < 200; i++) {
      if (readFileSync(`/proc/${c.pid}/cmdline`, "latin1").startsWith("sleep")) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe.runIf(existsSync("/proc/self/environ"))("stopping what a killed run left running", () => {
  it("stops exactly the processes whose environment holds the run's token", async () => {
    const mine = sleeper({ [RUN_TOKEN_ENV]: "0123456789abcdef" });
    const other = sleeper({ [RUN_TOKEN_ENV]: "fedcba9876543210" });
    const plain = sleeper({});
    // The environment is the child's own once it has exec'd sleep.
    await execd(mine.child, other.child, plain.child);
    expect(await stopLeftovers("0123456789abcdef")).toBe(1);
    expect(await mine.exited).toBe("SIGKILL");
    expect(other.child.exitCode === null && other.child.signalCode === null).toBe(true);
    expect(plain.child.exitCode === null && plain.child.signalCode === null).toBe(true);
    // A token that matches only in part (a prefix) stops nothing.
    expect(await stopLeftovers("fedcba98")).toBe(0);
  });

  it("finds nothing where there is no process table to read", async () => {
    expect(await stopLeftovers("0123456789abcdef", "/nonexistent-proc")).toBe(0);
  });
});
