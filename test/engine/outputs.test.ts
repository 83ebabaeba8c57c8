import { createHash } from "node:crypto";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanup, ranProject, sc, tempDir, writeTree } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

describe("declared outputs that are directories", () => {
  it("a directory where an output file goes is never removed: the stage fails and says why", async () => {
    const dir = tempDir("outdir");
    dirs.push(dir);
    writeTree(dir, { "p.sc": `stage a : command { run = ["sh", "-c", "echo x > data/new.txt"]  outputs = ["data"] }\n`, "data/raw.csv": "precious" });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("declared output data is a directory");
    expect(readFileSync(path.join(dir, "data/raw.csv"), "utf8")).toBe("precious");
  });

  it("a command that makes a directory for an output: the error says it is a directory", async () => {
    const dir = tempDir("outdir");
    dirs.push(dir);
    writeTree(dir, { "p.sc": `stage a : command { run = ["sh", "-c", "mkdir made && echo x > made/f"]  outputs = ["made"] }\n` });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("declared output made is a directory: outputs are files");
    // What the failed command made is left alone: it is a directory, not a declared file.
    expect(existsSync(path.join(dir, "made/f"))).toBe(true);
  });
});

describe("a damaged cached output", () => {
  it("is removed and its command runs again, instead of failing every later run", async () => {
    const dir = await ranProject("damaged", { "p.sc": `stage a : command { run = ["sh", "-c", "echo fresh > a.txt"]  outputs = ["a.txt"] }\n` });
    dirs.push(dir);
    const objects = path.join(dir, ".stagecraft", "objects");
    const fresh = digestOf("fresh\n");
    const obj = path.join(objects, "sha256", fresh.slice(0, 2), fresh.slice(2));
    chmodSync(obj, 0o644);
    // File times come from a coarse clock: damage it clearly after the result was recorded.
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(obj, "FRESH\n"); // same size, other bytes
    rmSync(path.join(dir, "a.txt"));
    // The plan already sees it: the object was modified after the result was recorded.
    const plan = await sc(dir, ["plan", "p.sc"]);
    expect(plan.stdout).toMatch(/will run a[\s\S]*why: cache entry corrupt: output 'a\.txt'/);
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "a.txt"), "utf8")).toBe("fresh\n");
    expect(readFileSync(obj, "utf8")).toBe("fresh\n");
    expect((await sc(dir, ["cache", "verify"])).code).toBe(0);
  });
});

function digestOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

describe("what a killed restore left beside an output", () => {
  it("is removed by the next run once its process is gone; another live process's is left alone", async () => {
    const dir = await ranProject("dead-restore", { "p.sc": `stage a : command { run = ["sh", "-c", "echo fresh > out/a.txt"]  outputs = ["out/a.txt"] }\n` });
    dirs.push(dir);
    const { spawnSync } = await import("node:child_process");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const left = path.join(dir, "out", `.a.txt.restore.${dead}.0a1b2c3d4e5f.tmp`);
    const live = path.join(dir, "out", `.a.txt.restore.${process.pid}.0a1b2c3d4e5f.tmp`);
    writeFileSync(left, "half a copy");
    writeFileSync(live, "being copied");
    rmSync(path.join(dir, "out/a.txt"));
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "out/a.txt"), "utf8")).toBe("fresh\n");
    expect(existsSync(left)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});
