import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { changed, cleanup, planJson, ranProject, statuses, writeTree } from "./helpers.js";

/**
 * What a command declares in `inputs` is fingerprinted whatever its name (a file without an
 * extension, a directory), and the paths a command names are read from where it runs (its `cwd`).
 */

const PIPELINE = `stage export : command {
  run = ["sh", "-c", "cp model.bin out.bin"]
  inputs = ["model.bin"]
  outputs = ["out.bin"]
}

stage listing : command {
  run = ["sh", "-c", "ls -R shards > listing.txt"]
  inputs = ["shards"]
  outputs = ["listing.txt"]
}

stage slashed : command {
  run = ["sh", "-c", "cat shards/a > slashed.txt"]
  inputs = ["shards/"]
  outputs = ["slashed.txt"]
}

stage nested : command {
  run = ["sh", "gen.sh"]
  cwd = "sub"
  outputs = ["gen.txt"]
}
`;

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

async function project(): Promise<{ dir: string; base: Awaited<ReturnType<typeof planJson>> }> {
  const dir = await ranProject("inputs", { "p.sc": PIPELINE, "model.bin": "weights 1", "shards/a": "a", "shards/deep/b": "b", "sub/gen.sh": "echo one > gen.txt\n" });
  dirs.push(dir);
  const base = await planJson(dir, "p.sc");
  expect(base.totals).toMatchObject({ run: 0, cached: 4 });
  return { dir, base };
}

describe("declared inputs and where a command runs", () => {
  it("a declared input without an extension: its bytes are fingerprinted", async () => {
    const { dir, base } = await project();
    writeFileSync(path.join(dir, "model.bin"), "weights 2");
    expect(changed(base, await planJson(dir, "p.sc"))).toEqual({
      export: { status: "run", reasons: ["input model.bin changed"], fingerprint: true },
    });
  });

  it("a declared directory, with or without a trailing slash: a file added deep inside reruns both", async () => {
    const { dir, base } = await project();
    writeTree(dir, { "shards/deep/c": "c" });
    expect(changed(base, await planJson(dir, "p.sc"))).toEqual({
      listing: { status: "run", reasons: ["input shards changed"], fingerprint: true },
      slashed: { status: "run", reasons: ["input shards changed"], fingerprint: true },
    });
  });

  it("a declared directory touched but not changed, or an empty directory added, changes nothing it does not hold", async () => {
    const { dir, base } = await project();
    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(dir, "shards", "a"), later, later);
    expect(changed(base, await planJson(dir, "p.sc"))).toEqual({});
    // The digest is of the files in it: an empty directory holds none.
    mkdirSync(path.join(dir, "shards", "empty"));
    expect(changed(base, await planJson(dir, "p.sc"))).toEqual({});
  });

  it("a missing declared input blocks the stage, naming it", async () => {
    const { dir } = await project();
    rmSync(path.join(dir, "model.bin"));
    rmSync(path.join(dir, "shards"), { recursive: true });
    const s = statuses(await planJson(dir, "p.sc"));
    expect(s["export"]).toEqual(["blocked", "input file model.bin does not exist"]);
    expect(s["listing"]).toEqual(["blocked", "input file shards does not exist"]);
    expect(s["slashed"]).toEqual(["blocked", "input file shards/ does not exist"]);
  });

  it("a declared input that is a FIFO blocks the stage, saying why, instead of hanging the plan on it", async () => {
    const { dir } = await project();
    rmSync(path.join(dir, "model.bin"));
    execFileSync("mkfifo", [path.join(dir, "model.bin")]);
    const s = statuses(await planJson(dir, "p.sc"));
    expect(s["export"]).toEqual(["blocked", "input file model.bin is not a regular file or a directory (a FIFO or a device cannot be fingerprinted)"]);
  });

  it("a script named in argv is read from the command's cwd", async () => {
    const { dir, base } = await project();
    writeFileSync(path.join(dir, "sub", "gen.sh"), "echo two > gen.txt\n");
    expect(changed(base, await planJson(dir, "p.sc"))).toEqual({
      nested: { status: "run", reasons: ["input sub/gen.sh changed"], fingerprint: true },
    });
  });
});
