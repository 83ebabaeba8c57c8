import { chmodSync, existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Digest } from "../../src/cache/digest.js";
import { Store } from "../../src/cache/store.js";
import { assertBuilt, cleanup, countLines, rowsJsonl, sc, snapshot, spawnCli, tempDir, writeTree } from "./helpers.js";

/**
 * End to end with the built CLI: a second run restores everything and runs nothing; two runs started
 * together on one cache run each command once between them. Every command (and the external scorer
 * of a data transform) appends a line to counter.log, outside the cache, so executions are counted.
 */

const PIPELINE = `pipeline e2e {
  seed = 4
}

scorer len = command("node", "scripts/len.js")

dataset rows = jsonl("data/rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])
dataset scored = rows | score(len: len) | where len >= 8 | top(5, by: len)
dataset rest = rows minus scored

stage a : command {
  run = ["sh", "-c", "echo a >> counter.log; sleep \${SLEEP_A:-0.2}; cp \\"$STAGECRAFT_INPUT_SCORED\\" out/a.jsonl; echo 'a wrote rows'"]
  inputs = [scored]
  outputs = ["out/a.jsonl"]
}

stage b : command {
  run = ["sh", "-c", "echo b >> counter.log; sleep 0.2; wc -l < \\"$STAGECRAFT_INPUT_REST\\" > out/b.txt"]
  inputs = [rest]
  outputs = ["out/b.txt"]
}

stage c : command {
  run = ["sh", "-c", "echo c >> counter.log; cat out/a.jsonl out/b.txt > out/c.txt"]
  after = [a, b]
  outputs = ["out/c.txt"]
}

stage d : command {
  shell = "echo d >> counter.log; sort out/c.txt > out/deep/d.txt"
  inputs = [c]
  outputs = ["out/deep/d.txt"]
}
`;

// The scorer counts its own runs too: one line per data transform execution.
const LEN = `require("fs").appendFileSync("counter.log", "score\\n");
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (l) => process.stdout.write(JSON.stringify({ score: JSON.parse(l).text.length }) + "\\n"));
`;

/** Everything that runs: four transforms (the source is read in place) and four stages. */
const NODES = ["a", "b", "c", "d", "rest", "scored", "scored:score", "scored:where"];
const EXPECTED_OUTPUTS = ["out/a.jsonl", "out/b.txt", "out/c.txt", "out/deep/d.txt"];
const dirs: string[] = [];

function project(): string {
  const dir = tempDir("run");
  dirs.push(dir);
  writeTree(dir, { "p.sc": PIPELINE, "data/rows.jsonl": rowsJsonl(), "scripts/len.js": LEN });
  return dir;
}

interface RunRecordJson {
  readonly status: string;
  readonly nodes: { node: string; action: string }[];
}

async function runs(dir: string): Promise<RunRecordJson[]> {
  const r = await sc(dir, ["log", "--json"]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as RunRecordJson[];
}

beforeAll(assertBuilt);
afterAll(() => cleanup(...dirs));

describe("run, then run again", () => {
  it("the second run restores every node and runs no command", async () => {
    const dir = project();
    const first = await spawnCli(dir, ["run", "p.sc"]).done;
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^done: 8 ran, 0 restored, 0 failed/m);
    const counter = path.join(dir, "counter.log");
    expect(readFileSync(counter, "utf8").split("\n").filter(Boolean).sort()).toEqual(["a", "b", "c", "d", "score"]);
    const outputs = snapshot(path.join(dir, "out"));
    expect(Object.keys(outputs).sort()).toEqual(EXPECTED_OUTPUTS.map((o) => path.relative("out", o)).sort());

    const second = await spawnCli(dir, ["run", "p.sc", "--json"]).done;
    expect(second.code, second.stderr).toBe(0);
    const events = second.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    expect(events.filter((e) => e.type === "node-start")).toEqual([]);
    // Every restore is an event of its own, for tools that follow the run.
    expect(events.filter((e) => e.type === "node-done" && e["action"] === "restored").map((e) => e["node"]).sort()).toEqual([...NODES].sort());
    expect(events.at(-1)).toMatchObject({ type: "finish", status: "ok", ran: 0, restored: 8, failed: 0 });
    expect(countLines(counter)).toBe(5);
    expect(snapshot(path.join(dir, "out"))).toEqual(outputs);
    const [latest] = await runs(dir);
    expect(latest!.status).toBe("ok");
    expect(latest!.nodes.map((n) => `${n.action} ${n.node}`).sort()).toEqual(NODES.map((n) => `restored ${n}`));
  });

  it("outputs deleted from the working tree are put back from the cache, byte for byte, without running", async () => {
    const dir = project();
    expect((await spawnCli(dir, ["run", "p.sc"]).done).code).toBe(0);
    const outputs = snapshot(path.join(dir, "out"));
    rmSync(path.join(dir, "out"), { recursive: true });
    const again = await spawnCli(dir, ["run", "p.sc"]).done;
    expect(again.code, again.stderr).toBe(0);
    expect(snapshot(path.join(dir, "out"))).toEqual(outputs);
    expect(countLines(path.join(dir, "counter.log"))).toBe(5);
  });

  it("an output edited in place, even to the same size, is put back from the cache", async () => {
    const dir = project();
    expect((await spawnCli(dir, ["run", "p.sc"]).done).code).toBe(0);
    const file = path.join(dir, "out/b.txt");
    const good = readFileSync(file, "utf8");
    writeTree(dir, { "out/b.txt": good.replace(/\d/, (d) => String((Number(d) + 1) % 10)) });
    expect((await spawnCli(dir, ["run", "p.sc"]).done).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(good);
    expect(countLines(path.join(dir, "counter.log"))).toBe(5);
  });
});

describe("a damaged cache", () => {
  it("an object corrupted in place (same size): the damaged object is removed and its command runs again", async () => {
    const dir = project();
    expect((await spawnCli(dir, ["run", "p.sc"]).done).code).toBe(0);
    const good = readFileSync(path.join(dir, "out/b.txt"), "utf8");
    const store = await Store.open(path.join(dir, ".stagecraft"));
    const damaged = await outputOf(store, "b");
    corrupt(store, damaged);
    rmSync(path.join(dir, "out/b.txt"));
    const r = await spawnCli(dir, ["run", "p.sc"]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).toMatch(/cached output out\/b\.txt was damaged and has been removed \(object sha256:[0-9a-f]+ holds \d+ bytes that hash to sha256:[0-9a-f]+\): running it again/);
    expect(r.stderr).toMatch(/^done: 1 ran, 7 restored, 0 failed/m);
    expect(countLines(path.join(dir, "counter.log"), "b")).toBe(2);
    // The damaged bytes never reach the working tree; the rerun's output replaces the object.
    expect(readFileSync(path.join(dir, "out/b.txt"), "utf8")).toBe(good);
    expect((await store.verifyObject(damaged)).ok).toBe(true);
    expect((await sc(dir, ["cache", "verify"])).code).toBe(0);
  });

  it("a damaged cached dataset is never handed to a stage that runs", async () => {
    const dir = project();
    expect((await spawnCli(dir, ["run", "p.sc"]).done).code).toBe(0);
    const store = await Store.open(path.join(dir, ".stagecraft"));
    corrupt(store, await outputOf(store, "scored"));
    const r = await spawnCli(dir, ["run", "p.sc", "--force=a"]).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✗ a failed \(p\.sc:\d+\): the cached result of scored is damaged: object sha256:[0-9a-f]+ holds \d+ bytes that hash to/m);
    expect(countLines(path.join(dir, "counter.log"), "a")).toBe(1);
  });
});

async function outputOf(store: Store, node: string): Promise<Digest> {
  for (const fp of await store.listManifests()) {
    const m = await store.readManifest(fp);
    if (m.ok && m.manifest.node === node) return m.manifest.outputs[0]!.digest;
  }
  throw new Error(`no result for ${node}`);
}

/**
 * Flips a bit of a stored object, as bit rot does: same size, different bytes, and the file's times
 * as they were, so only reading it shows the damage (the plan re-hashes only objects modified since).
 */
function corrupt(store: Store, digest: Digest): void {
  const obj = store.objectPath(digest);
  const { atime, mtime } = statSync(obj);
  chmodSync(obj, 0o644);
  const bytes = readFileSync(obj);
  bytes[0] = bytes[0]! ^ 1;
  writeFileSync(obj, bytes);
  utimesSync(obj, atime, mtime);
}

describe("two runs at once on one cache", () => {
  it("both succeed, every command runs once between them, and the cache verifies", async () => {
    const dir = project();
    const one = spawnCli(dir, ["run", "p.sc"]);
    const two = spawnCli(dir, ["run", "p.sc", "--jobs", "2"]);
    const [r1, r2] = await Promise.all([one.done, two.done]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    for (const name of ["a", "b", "c", "d", "score"]) expect(countLines(path.join(dir, "counter.log"), name), name).toBe(1);
    const records = await runs(dir);
    expect(records.map((r) => r.status)).toEqual(["ok", "ok"]);
    const actions = records.map((r) => [...new Set(r.nodes.map((n) => n.action))].sort().join(","));
    expect(actions.sort()).toEqual(["ran", "restored"]);
    const verify = await sc(dir, ["cache", "verify"]);
    expect(verify.code, verify.stdout).toBe(0);
    expect(Object.keys(snapshot(path.join(dir, "out"))).sort()).toEqual(EXPECTED_OUTPUTS.map((o) => path.relative("out", o)).sort());
  });

  it("a run started while another is mid-way waits for its lock, then restores its results", async () => {
    const dir = project();
    // Stage a sleeps long enough for the second process to start on a loaded machine; the sleep
    // comes from the environment, so it is not part of any fingerprint.
    const one = spawnCli(dir, ["run", "p.sc"], { env: { SLEEP_A: "3" } });
    await one.waitFor(/▶ a \(command\)/);
    const two = spawnCli(dir, ["run", "p.sc"]);
    const [r1, r2] = await Promise.all([one.done, two.done]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/waiting for the run of pid \d+ to finish/);
    expect(r2.stderr).toMatch(/^done: 0 ran, 8 restored, 0 failed/m);
    expect(countLines(path.join(dir, "counter.log"))).toBe(5);
  });
});
