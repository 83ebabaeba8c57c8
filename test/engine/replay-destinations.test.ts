import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanup, type CliResult, ranProject, rowsJsonl, sc } from "./helpers.js";

/**
 * Where replay writes: a destination that cannot take a file is named, never a crash; a file whose
 * content differs is not overwritten without --force (as git and DVC refuse to), and a refusal
 * writes nothing at all.
 */

const PIPELINE = `pipeline replaydest {
  seed = 1
}

dataset rows = jsonl("data/rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])

stage pair : command {
  run = ["sh", "-c", "wc -l < \\"$STAGECRAFT_INPUT_ROWS\\" > out/a.txt; echo b > out/b.txt"]
  inputs = [rows]
  outputs = ["out/a.txt", "out/b.txt"]
}
`;

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

async function project(): Promise<string> {
  const dir = await ranProject("replaydest", { "p.sc": PIPELINE, "data/rows.jsonl": rowsJsonl() });
  dirs.push(dir);
  return dir;
}

const read = (dir: string, rel: string) => readFileSync(path.join(dir, rel), "utf8");

/** replay with --force, through the CLI as a user types it. */
function replayForce(dir: string, args: readonly string[]): Promise<CliResult> {
  return sc(dir, ["replay", ...args, "--force"]);
}

function expectNoCrash(r: CliResult): void {
  expect(r.stderr).not.toMatch(/SC9001|internal error|\n\s+at /);
}

describe("replay destinations that cannot take a file", () => {
  it("--to naming a file", async () => {
    const dir = await project();
    writeFileSync(path.join(dir, "f.txt"), "mine\n");
    const r = await sc(dir, ["replay", "p.sc", "pair", "--to", "f.txt"]);
    expectNoCrash(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("stagecraft replay: --to 'f.txt' is a file, not a directory\n");
    expect(read(dir, "f.txt")).toBe("mine\n");
  });

  it("a directory where an output goes, or a file where its directory goes: named, and nothing written", async () => {
    const dir = await project();
    rmSync(path.join(dir, "out/b.txt"));
    mkdirSync(path.join(dir, "out/b.txt"));
    writeFileSync(path.join(dir, "out/b.txt/notes"), "mine\n");
    const r = await sc(dir, ["replay", "p.sc", "pair"]);
    expectNoCrash(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("stagecraft replay: cannot restore out/b.txt: 'out/b.txt' is a directory\n");
    expect(read(dir, "out/b.txt/notes")).toBe("mine\n");

    mkdirSync(path.join(dir, "dest"));
    writeFileSync(path.join(dir, "dest/out"), "mine\n");
    const under = await sc(dir, ["replay", "p.sc", "pair", "--to", "dest"]);
    expectNoCrash(under);
    expect(under.code).toBe(1);
    expect(under.stderr).toContain("stagecraft replay: cannot restore out/a.txt: 'dest/out' is a file, where a directory would have to be\n");
    expect(read(dir, "dest/out")).toBe("mine\n");
  });
});

describe("replay over existing files", () => {
  it("refuses to overwrite a file that differs, naming it, and writes nothing; --force overwrites", async () => {
    const dir = await project();
    mkdirSync(path.join(dir, "dest/out"), { recursive: true });
    writeFileSync(path.join(dir, "dest/out/a.txt"), "edited by hand\n");
    const r = await sc(dir, ["replay", "p.sc", "pair", "--to", "dest"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "stagecraft replay: this file differs from the cached output and would be overwritten:\n  dest/out/a.txt\nnothing was restored; --force overwrites it, or another --to DIR restores into an empty directory\n",
    );
    expect(read(dir, "dest/out/a.txt")).toBe("edited by hand\n");
    // All or nothing: the output that was missing is not written either.
    expect(existsSync(path.join(dir, "dest/out/b.txt"))).toBe(false);

    const forced = await replayForce(dir, ["p.sc", "pair", "--to", "dest"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(read(dir, "dest/out/a.txt")).toBe(read(dir, "out/a.txt"));
    expect(read(dir, "dest/out/b.txt")).toBe("b\n");
  });

  it("identical files are fine: left as they are, and said to be up to date", async () => {
    const dir = await project();
    const r = await sc(dir, ["replay", "p.sc", "pair"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^up to date out\/a\.txt \(\d+ bytes, sha256:[0-9a-f]{12}…\)$/m);
    expect(r.stdout).toMatch(/^up to date out\/b\.txt /m);
  });

  it("--force replaces a differing output where the pipeline keeps it", async () => {
    const dir = await project();
    writeFileSync(path.join(dir, "out/b.txt"), "other\n");
    const r = await replayForce(dir, ["p.sc", "pair"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^restored out\/b\.txt /m);
    expect(read(dir, "out/b.txt")).toBe("b\n");
    // What was there was made by no run, so it is kept, never lost.
    expect(read(dir, "out/b.txt.kept")).toBe("other\n");
    expect(r.stderr).toContain("out/b.txt held content that no run made (edited by hand, or there before); kept as out/b.txt.kept, before restoring the cached output");
  });
});
