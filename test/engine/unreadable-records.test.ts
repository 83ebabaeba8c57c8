import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanup, countRowsPipeline, ranProject, rowsJsonl, sc } from "./helpers.js";

/** What stands in the cache's record directories is read as data: something unreadable is skipped and reported, never a crash. */

const PIPELINE = countRowsPipeline("records");

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

const NOT_A_RECORD = "20990101T000000Z-1-abcdef";

describe("a directory named like a run record", () => {
  it("is skipped by log, plan, run and gc, reported by cache verify, and left where it is", async () => {
    const dir = await ranProject("records", { "p.sc": PIPELINE, "data/rows.jsonl": rowsJsonl() });
    dirs.push(dir);
    const bogus = path.join(dir, ".stagecraft/runs", `${NOT_A_RECORD}.json`);
    mkdirSync(bogus);
    writeFileSync(path.join(bogus, "notes.txt"), "mine\n");

    const log = await sc(dir, ["log"]);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/^\S+ {2}ok {10}p\.sc: 1 ran, 0 restored, 0 failed/);
    expect(log.stdout).not.toContain(NOT_A_RECORD);

    const plan = await sc(dir, ["plan", "p.sc"]);
    expect(plan.code, plan.stderr).toBe(0);
    const run = await sc(dir, ["run", "p.sc"]);
    expect(run.code, run.stderr).toBe(0);

    const verify = await sc(dir, ["cache", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`problem: unreadable run record ${NOT_A_RECORD}: ${NOT_A_RECORD}.json is a directory\n`);
    expect(verify.stdout).toMatch(/^1 problem\(s\) in /m);

    expect((await sc(dir, ["cache", "gc"])).code).toBe(0);
    expect(readdirSync(bogus)).toEqual(["notes.txt"]);
  });

  it("a directory named like a result's manifest: plan reruns the stage, verify reports it, run fails the stage naming it, and nothing is removed", async () => {
    const dir = await ranProject("manifests", { "p.sc": PIPELINE, "data/rows.jsonl": rowsJsonl() });
    dirs.push(dir);
    const nodes = path.join(dir, ".stagecraft/nodes");
    const [manifest] = readdirSync(nodes);
    const bogus = path.join(nodes, manifest!);
    // Replaced by a directory of the same name, holding someone's files.
    rmSync(bogus);
    mkdirSync(bogus);
    writeFileSync(path.join(bogus, "backup.json"), "{}");

    const plan = await sc(dir, ["plan", "p.sc", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/is a directory/);
    const verify = await sc(dir, ["cache", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/problem: unreadable manifest [0-9a-f]+: [0-9a-f]+\.json is a directory/);
    expect((await sc(dir, ["cache", "gc"])).code).toBe(0);
    const run = await sc(dir, ["run", "p.sc"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/✗ count failed \(p\.sc:7\): cannot record the result: nodes\/[0-9a-f]+\.json in the cache \S+ is a directory/);
    expect(existsSync(path.join(bogus, "backup.json"))).toBe(true);
  });
});
