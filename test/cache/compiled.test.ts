import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadCompiled, saveCompiled } from "../../src/cache/compiled.js";
import { checkFile } from "../../src/check/check.js";
import { fsHost } from "../../src/cli/fs-host.js";
import { lower } from "../../src/ir/lower.js";
import { planStatics } from "../../src/plan/plan.js";
import { cleanup, tempDir, writeTree } from "../engine/helpers.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/stagecraft.js");
const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

const PIPE = `import "steps.sc"\nstage b : command { run = ["sh", "-c", "echo b > b.txt"]  outputs = ["b.txt"]  after = [a] }\n`;
const STEPS = (word: string) => `stage a : command { run = ["sh", "-c", "echo ${word} > a.txt"]  outputs = ["a.txt"] }\n`;

function compileIn(dir: string) {
  const before = process.cwd();
  process.chdir(dir);
  try {
    const r = checkFile("p.sc", fsHost);
    if (!r.program) throw new Error("the fixture does not check");
    const ir = lower(r.program, (f) => r.sources.get(f) ?? "");
    return { ir, sources: r.sources, statics: planStatics(ir) };
  } finally {
    process.chdir(before);
  }
}

/** Runs `fn` with `dir` as the working directory: entries are keyed by it, as the CLI's are. */
async function inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(before);
  }
}

describe("compiled pipelines", () => {
  it("come back exactly, with every file they read, while nothing changed", async () => {
    const dir = tempDir("compiled");
    dirs.push(dir);
    writeTree(dir, { "p.sc": PIPE, "steps.sc": STEPS("a") });
    const compiled = compileIn(dir);
    const store = path.join(dir, ".stagecraft");
    await inDir(dir, () => saveCompiled(store, path.join(store, "tmp"), "build-1", "p.sc", compiled));
    const back = await inDir(dir, () => loadCompiled(store, "build-1", "p.sc"));
    expect(back?.ir).toEqual(compiled.ir);
    expect(back?.statics).toEqual(compiled.statics);
    expect([...(back?.sources.keys() ?? [])].sort()).toEqual(["p.sc", "steps.sc"]);
    // Another build, another working directory or another name for the file: no entry.
    expect(await inDir(dir, () => loadCompiled(store, "build-2", "p.sc"))).toBeUndefined();
    expect(await inDir(dir, () => loadCompiled(store, "build-1", "./p.sc"))).toBeUndefined();
    expect(await loadCompiled(store, "build-1", "p.sc")).toBeUndefined();
  });

  it("are a miss when any file they read changed, and when the entry is damaged", async () => {
    const dir = tempDir("compiled");
    dirs.push(dir);
    writeTree(dir, { "p.sc": PIPE, "steps.sc": STEPS("a") });
    const store = path.join(dir, ".stagecraft");
    await inDir(dir, () => saveCompiled(store, path.join(store, "tmp"), "b", "p.sc", compileIn(dir)));
    writeFileSync(path.join(dir, "steps.sc"), STEPS("A")); // an import, one byte different
    expect(await inDir(dir, () => loadCompiled(store, "b", "p.sc"))).toBeUndefined();
    writeFileSync(path.join(dir, "steps.sc"), STEPS("a"));
    expect(await inDir(dir, () => loadCompiled(store, "b", "p.sc"))).toBeDefined();
    const [entry] = readdirSync(path.join(store, "compiled"));
    writeFileSync(path.join(store, "compiled", entry!), "not an entry");
    expect(await inDir(dir, () => loadCompiled(store, "b", "p.sc"))).toBeUndefined();
  });

  it("the bundled CLI keeps one and never plans from a stale one", () => {
    const dir = tempDir("compiled-cli");
    dirs.push(dir);
    writeTree(dir, { "p.sc": PIPE, "steps.sc": STEPS("a") });
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8" });
    expect(readFileSync(path.join(ROOT, "dist/bundle/build-id"), "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    expect(cli("run", "p.sc").status).toBe(0);
    expect(readdirSync(path.join(dir, ".stagecraft", "compiled"))).toHaveLength(1);
    expect(cli("plan", "p.sc", "--exit-code").status).toBe(0); // everything cached, from the kept compilation
    // Edit the imported file: the plan must see the new command, not the kept one.
    writeFileSync(path.join(dir, "steps.sc"), STEPS("changed"));
    const r = cli("plan", "p.sc", "--json");
    const a = (JSON.parse(r.stdout) as { nodes: { name: string; status: string; reasons: string[] }[] }).nodes.find((n) => n.name === "a")!;
    expect(a.status).toBe("run");
    expect(a.reasons.join(" ")).toContain("changed");
    // A syntax error is reported, not hidden behind an entry for the old text.
    writeFileSync(path.join(dir, "steps.sc"), "stage a : command {\n");
    const bad = cli("plan", "p.sc");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/steps\.sc:\d+:\d+/);
    expect(existsSync(path.join(dir, ".stagecraft", "compiled"))).toBe(true);
  });
});
