import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanup, planJson, ranProject, sc, tempDir, writeTree } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

/** One command that writes `msg` into out/a.txt and counts its executions in runs.log (not an output). */
const pipeline = (msg: string) => `stage make : command {
  run = ["sh", "-c", "echo ${msg} > out/a.txt; echo ran >> runs.log"]
  outputs = ["out/a.txt"]
}
`;
const runs = (dir: string) => (existsSync(path.join(dir, "runs.log")) ? readFileSync(path.join(dir, "runs.log"), "utf8").split("\n").filter(Boolean).length : 0);
const read = (dir: string, f: string) => readFileSync(path.join(dir, f), "utf8");

describe("outputs edited by hand are never lost", () => {
  it("plan notes the edit; run keeps the edited file aside and puts the cached result back, without running the command", async () => {
    const dir = await ranProject("kept", { "p.sc": pipeline("made") });
    dirs.push(dir);
    writeFileSync(path.join(dir, "out/a.txt"), "my notes\n");
    const plan = await planJson(dir, "p.sc");
    const make = plan.nodes.find((n) => n.name === "make")!;
    expect(make.status).toBe("cached");
    expect(make.notes).toEqual(["out/a.txt was changed since it was made: run keeps the changed file as out/a.txt.kept and puts the cached result back"]);
    expect((await sc(dir, ["plan", "p.sc"])).stdout).toContain("note: out/a.txt was changed since it was made");

    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("out/a.txt held content that no run made (edited by hand, or there before); kept as out/a.txt.kept");
    expect(read(dir, "out/a.txt")).toBe("made\n");
    expect(read(dir, "out/a.txt.kept")).toBe("my notes\n");
    expect(runs(dir)).toBe(1);

    // A second edit does not overwrite the first one kept.
    writeFileSync(path.join(dir, "out/a.txt"), "more notes\n");
    expect((await planJson(dir, "p.sc")).nodes.find((n) => n.name === "make")!.notes?.[0]).toContain("as out/a.txt.kept.2");
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    expect(read(dir, "out/a.txt.kept")).toBe("my notes\n");
    expect(read(dir, "out/a.txt.kept.2")).toBe("more notes\n");
    // Once put back, nothing more to say.
    expect((await planJson(dir, "p.sc")).nodes.find((n) => n.name === "make")!.notes).toBeUndefined();
  });

  it("another run's result in place of the cached one is replaced without keeping a copy: the cache has it", async () => {
    const dir = await ranProject("kept", { "p.sc": pipeline("one") });
    dirs.push(dir);
    writeFileSync(path.join(dir, "p.sc"), pipeline("two"));
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    writeFileSync(path.join(dir, "p.sc"), pipeline("one"));
    const make = (await planJson(dir, "p.sc")).nodes.find((n) => n.name === "make")!;
    expect([make.status, ...(make.notes ?? [])]).toEqual(["cached", "out/a.txt holds the result of another run: run puts this one's back"]);
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.stderr).not.toContain("kept as");
    expect(read(dir, "out/a.txt")).toBe("one\n");
    expect(existsSync(path.join(dir, "out/a.txt.kept"))).toBe(false);
    expect(runs(dir)).toBe(2);
  });

  it("a missing output is noted and put back", async () => {
    const dir = await ranProject("kept", { "p.sc": pipeline("made") });
    dirs.push(dir);
    rmSync(path.join(dir, "out/a.txt"));
    expect((await planJson(dir, "p.sc")).nodes.find((n) => n.name === "make")!.notes).toEqual(["out/a.txt is missing: run puts it back from the cache"]);
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    expect(read(dir, "out/a.txt")).toBe("made\n");
    expect(runs(dir)).toBe(1);
  });

  it("a file that was there before the first run is kept before the command writes over it", async () => {
    const dir = tempDir("kept");
    dirs.push(dir);
    writeTree(dir, { "p.sc": pipeline("made"), "out/a.txt": "from the old shell script\n" });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("kept as out/a.txt.kept, before running the command");
    expect(read(dir, "out/a.txt.kept")).toBe("from the old shell script\n");
    expect(read(dir, "out/a.txt")).toBe("made\n");
  });

  it("a rerun replaces an output the cache holds without keeping a copy", async () => {
    const dir = await ranProject("kept", { "p.sc": pipeline("one") });
    dirs.push(dir);
    writeFileSync(path.join(dir, "p.sc"), pipeline("two"));
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.stderr).not.toContain("kept as");
    expect(existsSync(path.join(dir, "out/a.txt.kept"))).toBe(false);
    expect(read(dir, "out/a.txt")).toBe("two\n");
  });

  it("after cache gc dropped the result, what a run made is replaced without a copy; a hand edit is still kept", async () => {
    const dir = await ranProject("kept", { "p.sc": pipeline("one") });
    dirs.push(dir);
    expect((await sc(dir, ["cache", "gc", "--max-size", "0"])).code).toBe(0);
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("kept as");
    expect(existsSync(path.join(dir, "out/a.txt.kept"))).toBe(false);
    expect(runs(dir)).toBe(2);
    // The same after a hand edit: that content no run made is kept.
    expect((await sc(dir, ["cache", "gc", "--max-size", "0"])).code).toBe(0);
    writeFileSync(path.join(dir, "out/a.txt"), "my notes\n");
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    expect(read(dir, "out/a.txt.kept")).toBe("my notes\n");
  });

  it("a symbolic link where an output goes is kept, the link itself, before the command writes there", async () => {
    const dir = tempDir("kept-link");
    dirs.push(dir);
    writeTree(dir, { "p.sc": pipeline("made"), "elsewhere/notes.txt": "mine\n" });
    mkdirSync(path.join(dir, "out"));
    symlinkSync("../elsewhere/notes.txt", path.join(dir, "out/a.txt"));
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(read(dir, "out/a.txt")).toBe("made\n");
    expect(readlinkSync(path.join(dir, "out/a.txt.kept"))).toBe("../elsewhere/notes.txt");
    expect(read(dir, "elsewhere/notes.txt")).toBe("mine\n");
  });

  it("a directory where a cached output goes fails the stage, says why, and is left alone", async () => {
    const dir = await ranProject("kept", { "p.sc": pipeline("made") });
    dirs.push(dir);
    rmSync(path.join(dir, "out/a.txt"));
    mkdirSync(path.join(dir, "out/a.txt"));
    writeFileSync(path.join(dir, "out/a.txt/mine"), "x");
    expect((await planJson(dir, "p.sc")).nodes.find((n) => n.name === "make")!.notes).toEqual(["out/a.txt is a directory now: run cannot put the cached file back until it is moved away"]);
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("declared output out/a.txt is a directory");
    expect(r.stderr).not.toContain("cache verify");
    expect(read(dir, "out/a.txt/mine")).toBe("x");
  });
});

describe("a command in an imported file", () => {
  it("runs in its own file's directory, where the plan looks for its outputs, and is restored from there", async () => {
    const dir = tempDir("imported");
    dirs.push(dir);
    writeTree(dir, {
      "lib/cmds.sc": `stage make : command { run = ["sh", "-c", "pwd > out/where.txt; echo ran >> ../runs.log"]  outputs = ["out/where.txt"] }\n`,
      "p.sc": `import "lib/cmds.sc"\nstage use : command { run = ["cat", "lib/out/where.txt"]  inputs = ["lib/out/where.txt"] }\n`,
    });
    const first = await sc(dir, ["run", "p.sc"]);
    expect(first.code, first.stderr).toBe(0);
    expect(read(dir, "lib/out/where.txt").trim()).toBe(path.join(dir, "lib"));
    expect(existsSync(path.join(dir, "out"))).toBe(false);
    rmSync(path.join(dir, "lib/out/where.txt"));
    expect((await planJson(dir, "p.sc")).nodes.find((n) => n.name === "make")!.notes).toEqual(["lib/out/where.txt is missing: run puts it back from the cache"]);
    const again = await sc(dir, ["run", "p.sc"]);
    expect(again.code, again.stderr).toBe(0);
    expect(read(dir, "lib/out/where.txt").trim()).toBe(path.join(dir, "lib"));
    expect(runs(dir)).toBe(1);
  });
});
