import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cleanup, pidWritten, sc, spawnCli, tempDir, writeTree } from "./helpers.js";

/**
 * Ctrl-C / SIGTERM: a run whose stage sleeps 10 s stops within seconds with exit 130, takes the
 * stage's processes with it (a shell and the sleep it started), records the run as interrupted,
 * and leaves nothing that stops the next run from completing.
 */

const PIPELINE = `pipeline nap {
  seed = 1
}

stage quick : command { run = ["sh", "-c", "echo quick > out/quick.txt"]  outputs = ["out/quick.txt"] }

stage nap : command {
  run = ["sh", "scripts/nap.sh"]
  after = [quick]
  outputs = ["out/nap.txt"]
}
`;

// The shell waits on a child it started, as a launcher waits on its workers. The file \`fast\` is not
// an input (it does not change the fingerprint): it lets the next run finish quickly.
const NAP = `echo $$ > sh.pid
if [ ! -f fast ]; then
  sleep 10 &
  echo $! > sleep.pid
  wait $!
fi
echo slept > out/nap.txt
`;

const dirs: string[] = [];
beforeAll(assertBuilt);
afterAll(() => cleanup(...dirs));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 3000): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(25)) if (!alive(pid)) return true;
  return !alive(pid);
}

describe.each(["SIGTERM", "SIGINT"] as const)("%s during a run", (signal) => {
  it("exits 130 (SIGINT) or 143 (SIGTERM) within seconds, stops the stage's processes, records the interruption, and the next run completes", async () => {
    const dir = tempDir("interrupt");
    dirs.push(dir);
    writeTree(dir, { "p.sc": PIPELINE, "scripts/nap.sh": NAP });
    const run = spawnCli(dir, ["run", "p.sc"]);
    await run.waitFor(/▶ nap \(command\)/);
    const sleepPid = await pidWritten(path.join(dir, "sleep.pid"));
    const shPid = await pidWritten(path.join(dir, "sh.pid"));
    expect(alive(shPid) && alive(sleepPid)).toBe(true);

    const t0 = Date.now();
    run.child.kill(signal);
    const r = await run.done;
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(signal === "SIGINT" ? 130 : 143);
    expect(seconds).toBeLessThan(4);
    expect(r.stderr).toMatch(/^interrupted: 1 ran, 0 restored, 0 failed/m);
    expect(await gone(shPid)).toBe(true);
    expect(await gone(sleepPid)).toBe(true);
    expect(existsSync(path.join(dir, "out/nap.txt"))).toBe(false);

    const [record] = JSON.parse((await sc(dir, ["log", "--json"])).stdout) as { status: string; finishedAt?: string; nodes: { node: string; action: string }[] }[];
    expect(record!.status).toBe("interrupted");
    expect(record!.finishedAt).toBeDefined();
    // The stage that was running is in the record, cut short; the plan says so.
    expect(record!.nodes.map((n) => `${n.action} ${n.node}`)).toEqual(["ran quick", "failed nap"]);
    expect((await sc(dir, ["cache", "verify"])).code).toBe(0);
    expect((await sc(dir, ["plan", "p.sc"])).stdout).toMatch(/why: failed in run \S+: interrupted while it ran/);
    expect((await sc(dir, ["log"])).stdout).toMatch(/ interrupted +\S+: 1 ran, 0 restored, 0 failed, 1 interrupted/);

    writeFileSync(path.join(dir, "fast"), "");
    const next = await spawnCli(dir, ["run", "p.sc"]).done;
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/^done: 1 ran, 1 restored, 0 failed/m);
    expect(readFileSync(path.join(dir, "out/nap.txt"), "utf8")).toBe("slept\n");
  });
});

describe("SIGTERM while a data transform's external scorer works", () => {
  it("stops the scorer and exits 143 (SIGTERM) at once, not when the scorer is done", async () => {
    const dir = tempDir("interrupt-scorer");
    dirs.push(dir);
    writeTree(dir, {
      "p.sc": `pipeline slow {
  seed = 1
}
scorer judge = command("node", "scripts/slow.js")
dataset rows = jsonl("data/rows.jsonl", rows: 3, fields: ["id", "text"])
dataset judged = rows | score(j: judge)
stage use : command { run = ["sh", "-c", "wc -l < \\"$STAGECRAFT_INPUT_JUDGED\\" > n.txt"]  inputs = [judged]  outputs = ["n.txt"] }
`,
      "data/rows.jsonl": '{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n{"id": 3, "text": "c"}\n',
      // A judge that takes 10 s, and says when it has started.
      "scripts/slow.js": `require("fs").writeFileSync("scorer.pid", String(process.pid));
const rl = require("readline").createInterface({ input: process.stdin });
const rows = [];
rl.on("line", (l) => rows.push(l));
rl.on("close", () => setTimeout(() => rows.forEach(() => process.stdout.write('{"score": 1}\\n')), 10000));
`,
    });
    const run = spawnCli(dir, ["run", "p.sc"]);
    await run.waitFor(/▶ judged \(score\)/);
    const scorer = await pidWritten(path.join(dir, "scorer.pid"));
    const t0 = Date.now();
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(143);
    expect((Date.now() - t0) / 1000).toBeLessThan(4);
    expect(await gone(scorer)).toBe(true);
    const [record] = JSON.parse((await sc(dir, ["log", "--json"])).stdout) as { status: string }[];
    expect(record!.status).toBe("interrupted");
  });

  it("stops what a scorer started too, so the run does not wait for it", async () => {
    const dir = tempDir("interrupt-scorer-child");
    dirs.push(dir);
    writeTree(dir, {
      "p.sc": `scorer judge = command("sh", "scripts/slow.sh")
dataset rows = jsonl("data/rows.jsonl", rows: 2, fields: ["id"])
dataset judged = rows | score(j: judge)
stage use : command { run = ["true"]  inputs = [judged] }
`,
      "data/rows.jsonl": '{"id": 1}\n{"id": 2}\n',
      // The shell's child holds the scorer's output open for 30 s.
      "scripts/slow.sh": 'while read l; do sleep 30 & echo $! > child.pid; wait; echo \'{"score": 1}\'; done\n',
    });
    const run = spawnCli(dir, ["run", "p.sc"]);
    const child = await pidWritten(path.join(dir, "child.pid"));
    const t0 = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect((Date.now() - t0) / 1000).toBeLessThan(6);
    expect(await gone(child)).toBe(true);
  }, 30_000);
});

describe("a second Ctrl-C", () => {
  it("exits at once and takes a command that ignores SIGTERM with it; log says the run ended unfinished", async () => {
    const dir = tempDir("interrupt-twice");
    dirs.push(dir);
    writeTree(dir, {
      "p.sc": `stage stubborn : command {
  run = ["sh", "-c", "trap '' TERM INT; echo $$ > sh.pid; echo started > out.txt; sleep 3; echo finished >> out.txt"]
  outputs = ["out.txt"]
}
`,
    });
    const run = spawnCli(dir, ["run", "p.sc"]);
    await run.waitFor(/▶ stubborn \(command\)/);
    const shPid = await pidWritten(path.join(dir, "sh.pid"));
    run.child.kill("SIGINT");
    await sleep(200);
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(await gone(shPid)).toBe(true);
    // The command never got to write again after stagecraft was gone.
    await sleep(3500);
    expect(readFileSync(path.join(dir, "out.txt"), "utf8")).not.toContain("finished");
    // The run could not record its end; log sees that its process is gone.
    const log = await sc(dir, ["log"]);
    expect(log.stdout).toMatch(/ unfinished /);
    const [latest] = JSON.parse((await sc(dir, ["log", "--json"])).stdout) as { status: string }[];
    expect(latest!.status).toBe("unfinished");
    expect(log.stdout).not.toMatch(/ running /);
  }, 20_000);

  it("stops a process that left the command's process group, instead of waiting for it to end", async () => {
    const dir = tempDir("interrupt-escaped");
    dirs.push(dir);
    // The escaped child starts a session of its own (setsid), out of reach of a group kill; it
    // keeps the command's output open, so waiting for the output to close would take its 30 s.
    writeTree(dir, {
      "p.sc": `stage escape : command {
  run = ["sh", "-c", "setsid sh -c 'echo $$ > escaped.pid; sleep 30' & sleep 30"]
  outputs = ["out.txt"]
}
`,
    });
    const run = spawnCli(dir, ["run", "p.sc"]);
    await run.waitFor(/▶ escape \(command\)/);
    const escaped = await pidWritten(path.join(dir, "escaped.pid"));
    const t0 = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await gone(escaped)).toBe(true);
  }, 30_000);
});
