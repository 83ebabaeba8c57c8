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
    writeFileSync(obj, "FRESH\n"); // same size, other bytes
    rmSync(path.join(dir, "a.txt"));
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cached output a\.txt was damaged and has been removed .*: running it again/);
    expect(readFileSync(path.join(dir, "a.txt"), "utf8")).toBe("fresh\n");
    expect(readFileSync(obj, "utf8")).toBe("fresh\n");
    expect((await sc(dir, ["cache", "verify"])).code).toBe(0);
  });
});

function digestOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
