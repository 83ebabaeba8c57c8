import { readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { changed, cleanup, planJson, ranProject, sc } from "./helpers.js";

/**
 * A command that reads what another command writes depends on it, whether the file names the link
 * (a declared output named in its argv or inputs) or `after` does: when the writer reruns, so does
 * the reader, and a run leaves no stale result behind.
 */

// The reader is declared first, so only the link through a.txt puts `make` before it.
const PIPELINE = `stage use : command {
  run = ["sh", "-c", "cat a.txt a.txt > b.txt"]
  inputs = ["a.txt"]
  outputs = ["b.txt"]
}

stage make : command {
  run = ["sh", "-c", "echo $MSG > a.txt"]
  env = { MSG: "one" }
  outputs = ["a.txt"]
}

stage ordered : command {
  run = ["sh", "-c", "cat a.txt > c.txt"]
  after = [make]
  outputs = ["c.txt"]
}

stage alone : command {
  run = ["sh", "-c", "echo alone > d.txt"]
  outputs = ["d.txt"]
}
`;

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

async function project(): Promise<string> {
  const dir = await ranProject("produced", { "p.sc": PIPELINE });
  dirs.push(dir);
  return dir;
}

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), "utf8");

describe("commands that read what another command writes", () => {
  it("plan lists the writer before its readers, wherever the file declares them", async () => {
    const dir = await project();
    const names = (await planJson(dir, "p.sc")).nodes.map((n) => n.name);
    expect(names.indexOf("make")).toBeLessThan(names.indexOf("use"));
    expect(names.indexOf("make")).toBeLessThan(names.indexOf("ordered"));
  });

  it("rerun with the writer, saying why, and a run leaves their outputs made from the new file", async () => {
    const dir = await project();
    expect(read(dir, "b.txt")).toBe("one\none\n");
    const base = await planJson(dir, "p.sc");
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace('MSG: "one"', 'MSG: "two"'));
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({
      make: { status: "run", reasons: ['env.MSG: "one" → "two"'], fingerprint: true },
      use: { status: "run", reasons: ["upstream make will rerun"], fingerprint: true },
      ordered: { status: "run", reasons: ["upstream make will rerun"], fingerprint: true },
    });
    const run = await sc(dir, ["run", "p.sc"]);
    expect(run.code, run.stderr).toBe(0);
    expect(read(dir, "b.txt")).toBe("two\ntwo\n");
    expect(read(dir, "c.txt")).toBe("two\n");
    expect((await planJson(dir, "p.sc")).totals.run).toBe(0);
  });

  it("a writer that already ran for the new value: its readers name it as changed, not as rerunning", async () => {
    const dir = await project();
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace('MSG: "one"', 'MSG: "two"'));
    expect((await sc(dir, ["run", "p.sc", "--only", "make"])).code).toBe(0);
    const plan = await planJson(dir, "p.sc");
    const why = Object.fromEntries(plan.nodes.map((n) => [n.name, n.reasons]));
    expect(why["use"]).toEqual(["make, which it runs after, changed"]);
    expect(why["ordered"]).toEqual(["make, which it runs after, changed"]);
  });

  it("a dependency added with after: the reader says so", async () => {
    const dir = await project();
    const base = await planJson(dir, "p.sc");
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace('echo alone > d.txt"]', 'echo alone > d.txt"]\n  after = [make]'));
    expect(changed(base, await planJson(dir, "p.sc"))).toEqual({
      alone: { status: "run", reasons: ["now runs after make"], fingerprint: true },
    });
  });

  it("the cache holds no manifest for a reader made from an older file once the writer changed", async () => {
    const dir = await project();
    const before = readdirSync(path.join(dir, ".stagecraft", "nodes")).length;
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace('MSG: "one"', 'MSG: "two"'));
    unlinkSync(path.join(dir, "b.txt"));
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    // make, use and ordered each made a new result; alone did not.
    expect(readdirSync(path.join(dir, ".stagecraft", "nodes")).length - before).toBe(3);
    expect(read(dir, "b.txt")).toBe("two\ntwo\n");
  });
});
