import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanup, sc, tempDir, writeTree } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

async function runOne(stage: string): Promise<string> {
  const dir = tempDir("start");
  dirs.push(dir);
  writeTree(dir, { "p.sc": `${stage}\n` });
  const r = await sc(dir, ["run", "p.sc"]);
  expect(r.code).toBe(1);
  return r.stderr;
}

describe("a command that cannot start says why in words", () => {
  it("a program that is not on PATH", async () => {
    expect(await runOne(`stage a : command { run = ["no-such-program-xyz", "x"]  outputs = ["o.txt"] }`)).toMatch(/could not start: no program 'no-such-program-xyz' on PATH/);
  });

  it("a path to a program that does not exist", async () => {
    expect(await runOne(`stage a : command { run = ["./bin/missing.sh"]  outputs = ["o.txt"] }`)).toMatch(/could not start: '\.\/bin\/missing\.sh' does not exist/);
  });
});

describe("a command's standard input", () => {
  it("is empty, so a command that reads it finishes instead of waiting forever", async () => {
    const dir = tempDir("stdin");
    dirs.push(dir);
    writeTree(dir, { "p.sc": `stage a : command { run = ["sh", "-c", "cat > out/in.txt; echo done >> out/in.txt"]  outputs = ["out/in.txt"] }\nstage b : command { shell = "wc -c > out/n.txt"  outputs = ["out/n.txt"] }\n` });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "out/in.txt"), "utf8")).toBe("done\n");
    expect(readFileSync(path.join(dir, "out/n.txt"), "utf8").trim()).toBe("0");
  }, 10_000);
});

describe("a command's seed", () => {
  it("is STAGECRAFT_SEED when written on the stage, and absent otherwise", async () => {
    const dir = tempDir("seed");
    dirs.push(dir);
    writeTree(dir, {
      "p.sc": `pipeline p { seed = 4 }
stage a : command { shell = "echo \${STAGECRAFT_SEED:-none} > a.txt"  outputs = ["a.txt"]  seed = 9 }
stage b : command { shell = "echo \${STAGECRAFT_SEED:-none} > b.txt"  outputs = ["b.txt"] }
`,
    });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "a.txt"), "utf8")).toBe("9\n");
    expect(readFileSync(path.join(dir, "b.txt"), "utf8")).toBe("none\n");
  });
});
