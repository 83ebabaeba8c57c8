import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDigest } from "../../src/cache/digest.js";
import { Store } from "../../src/cache/store.js";
import { cleanup, planJson, sc, tempDir, writeTree } from "./helpers.js";

/**
 * A command's logs are kept in full whatever it does: when it fails (named by the run record, shown
 * by log and replay), and however much it prints (streamed to files, never held in memory).
 */

const FAILING = `pipeline logs {
  seed = 1
}

stage fine : command { run = ["sh", "-c", "echo fine > out/fine.txt"]  outputs = ["out/fine.txt"] }

stage bad : command {
  run = ["sh", "-c", "for i in $(seq 1 30); do echo out $i; echo err $i >&2; done; exit 3"]
  after = [fine]
}
`;

/** Over 100 MB on stdout, more than a buffer of the command's output used to hold. */
const BIG = 110_000_000;
const LOUD = `pipeline loud {
  seed = 1
}

stage loud : command {
  shell = "head -c ${BIG} /dev/zero | tr '\\\\0' x; echo; echo done; echo noted >&2; echo ok > out/ok.txt"
  outputs = ["out/ok.txt"]
}
`;

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

function project(pipeline: string): string {
  const dir = tempDir("logs");
  dirs.push(dir);
  writeTree(dir, { "p.sc": pipeline, "out/.keep": "" });
  return dir;
}

const lines = (prefix: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);

interface RecordJson {
  readonly id: string;
  readonly nodes: { readonly node: string; readonly action: string; readonly error?: string; readonly logs?: { readonly stdout?: string; readonly stderr?: string } }[];
}

describe("the logs of a failed command", () => {
  it("are kept in full in the store, named by the run record; the error keeps a short tail", async () => {
    const dir = project(FAILING);
    const run = await sc(dir, ["run", "p.sc"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`✗ bad failed (p.sc:7): command exited with code 3:\n${lines("err", 26, 30).join("\n")}\n`);
    const [record] = JSON.parse((await sc(dir, ["log", "--json"])).stdout) as RecordJson[];
    const bad = record!.nodes.find((n) => n.node === "bad")!;
    expect(bad.action).toBe("failed");
    const store = await Store.open(path.join(dir, ".stagecraft"));
    const out = parseDigest(bad.logs?.stdout);
    const err = parseDigest(bad.logs?.stderr);
    expect(out && readFileSync(store.objectPath(out), "utf8")).toBe(`${lines("out", 1, 30).join("\n")}\n`);
    expect(err && readFileSync(store.objectPath(err), "utf8")).toBe(`${lines("err", 1, 30).join("\n")}\n`);
    // Kept objects that no result lists are not damage.
    expect((await sc(dir, ["cache", "verify"])).code).toBe(0);
  });

  it("log shows the error without a dangling colon, its tail, and where the logs are", async () => {
    const dir = project(FAILING);
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(1);
    const log = await sc(dir, ["log"]);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/^ {4}failed {3}bad: command exited with code 3\n {13}\| err 26\n/m);
    const where = [...log.stdout.matchAll(/^ {13}(stdout|stderr): (\S+)$/gm)].map((m) => [m[1], m[2]!]);
    expect(where.map(([k]) => k)).toEqual(["stdout", "stderr"]);
    for (const [, p] of where) expect(existsSync(path.join(dir, p!))).toBe(true);
  });

  it("replay of the stage says its last attempt failed and shows the end of its logs", async () => {
    const dir = project(FAILING);
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(1);
    const [record] = JSON.parse((await sc(dir, ["log", "--json"])).stdout) as RecordJson[];
    const r = await sc(dir, ["replay", "p.sc", "bad"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`stagecraft replay: 'bad' has no result in the cache: its last attempt failed (run ${record!.id}: command exited with code 3)\n`);
    expect(r.stdout).toMatch(new RegExp(`^--- stdout \\(30 lines, last 20; all of it in \\.stagecraft/objects/sha256/[0-9a-f]{2}/[0-9a-f]{62}\\)\\n${lines("out", 11, 30).join("\\n")}\\n`));
    expect(r.stdout).toContain(`--- stderr (30 lines, last 20; all of it in .stagecraft/objects/sha256/`);
    expect(r.stdout.endsWith(`${lines("err", 11, 30).join("\n")}\n`)).toBe(true);
  });

  it("after the pipeline changes, replay still shows the failed attempt, and says the pipeline changed", async () => {
    const dir = project(FAILING);
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(1);
    writeTree(dir, { "p.sc": FAILING.replace("exit 3", "exit 4") });
    const r = await sc(dir, ["replay", "p.sc", "bad"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/its last attempt failed \(run \S+: command exited with code 3\); the pipeline has changed since\n$/);
  });
});

describe("a command that prints more than 100 MB", () => {
  it("succeeds, and its stdout is kept in full", async () => {
    const dir = project(LOUD);
    const run = await sc(dir, ["run", "p.sc"]);
    expect(run.code, run.stderr).toBe(0);
    const plan = await planJson(dir, "p.sc");
    const store = await Store.open(path.join(dir, ".stagecraft"));
    const m = await store.readManifest(plan.nodes.find((n) => n.name === "loud")!.fingerprint);
    if (!m.ok) throw new Error(m.detail);
    expect(statSync(store.objectPath(m.manifest.logs!.stdout!)).size).toBe(BIG + "\ndone\n".length);
    expect(readFileSync(store.objectPath(m.manifest.logs!.stderr!), "utf8")).toBe("noted\n");
    const replay = await sc(dir, ["replay", "p.sc", "loud", "--to", "back"]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/^--- stdout \(2 lines\)\ndone\n/m);
  });
});
