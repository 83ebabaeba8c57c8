import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, cleanup, countRowsPipeline, rowsJsonl, sc, tempDir, writeTree } from "./helpers.js";

/**
 * A cache directory that cannot be used as one: a file where it should be, a read-only one, one
 * that is not there. Every command says what is wrong with which path, in one line, or works.
 */

const PIPELINE = countRowsPipeline("cachedir");

/** chmod does not stop root from writing: where the tests run as root, the refusals cannot be seen. */
const ROOT_USER = process.getuid?.() === 0;

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

function project(): string {
  const dir = tempDir("cachedir");
  dirs.push(dir);
  writeTree(dir, { "p.sc": PIPELINE, "data/rows.jsonl": rowsJsonl() });
  return dir;
}

/** Every command that opens the cache, as a user would type it. */
const COMMANDS: readonly (readonly string[])[] = [
  ["run", "p.sc"], ["plan", "p.sc"], ["log"], ["cache", "ls"], ["cache", "verify"], ["cache", "gc"], ["replay", "p.sc", "count"], ["report", "p.sc", "--out", "r.html"],
];

function expectOneLine(r: { code: number; stderr: string }, re: RegExp, what: string): void {
  expect(r.code, `${what}: ${r.stderr}`).toBe(1);
  expect(r.stderr, what).not.toMatch(/SC9001|internal error|\n\s+at /);
  expect(r.stderr.trimEnd().split("\n"), what).toHaveLength(1);
  expect(r.stderr, what).toMatch(re);
}

/** Directories (not files) under and including `dir` get `mode`. */
function chmodDirs(dir: string, mode: number): void {
  chmodSync(dir, mode);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) chmodDirs(path.join(dir, e.name), mode);
}

describe("--cache-dir naming something that is not a directory", () => {
  it("a regular file: every command names it and exits 1, and the file is left as it was", async () => {
    const dir = project();
    writeFileSync(path.join(dir, "notadir"), "keep me\n");
    for (const args of COMMANDS) {
      const r = await sc(dir, [...args, "--cache-dir", "notadir"]);
      expectOneLine(r, /^stagecraft [a-z ]+: cannot use 'notadir' as the cache: 'notadir' is not a directory \(--cache-dir DIR/, args.join(" "));
    }
    expect(readFileSync(path.join(dir, "notadir"), "utf8")).toBe("keep me\n");
  });

  it("a file above it, or in place of one of the cache's own directories", async () => {
    const dir = project();
    writeFileSync(path.join(dir, "notadir"), "keep me\n");
    expectOneLine(await sc(dir, ["run", "p.sc", "--cache-dir", "notadir/cache"]), /cannot use 'notadir\/cache' as the cache: 'notadir' is not a directory/, "below a file");
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    rmSync(path.join(dir, ".stagecraft/runs"), { recursive: true });
    writeFileSync(path.join(dir, ".stagecraft/runs"), "");
    for (const args of [["run", "p.sc"], ["plan", "p.sc"], ["log"]]) {
      expectOneLine(await sc(dir, args), /cannot use '\.stagecraft' as the cache: '\.stagecraft\/runs' is not a directory/, args.join(" "));
    }
  });
});

describe("a cache that cannot be written", () => {
  it("log, ls and verify of a cache that is not there create nothing; plan makes one to keep its compiled pipeline in", async () => {
    const dir = project();
    expect((await sc(dir, ["log", "--cache-dir", "fresh"])).stdout).toBe("no runs recorded in this cache\n");
    expect((await sc(dir, ["cache", "ls", "--cache-dir", "fresh"])).stdout).toMatch(/^0 results, 0 bytes/);
    const verify = await sc(dir, ["cache", "verify", "--cache-dir", "fresh"]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/no cache here, nothing to verify/);
    expect(existsSync(path.join(dir, "fresh"))).toBe(false);
    // The installed CLI (whose build keeps compiled pipelines) so the next plan of the unchanged
    // file skips parsing, checking and lowering.
    const plan = spawnSync(process.execPath, [BIN, "plan", "p.sc", "--cache-dir", "fresh"], { cwd: dir, encoding: "utf8" });
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/count/);
    expect(readdirSync(path.join(dir, "fresh", "compiled"))).toHaveLength(1);
  });

  it("a stat cache that cannot be written costs plan nothing but the hashing", async () => {
    const dir = project();
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    // A file where the scratch directory belongs: the stat cache (written through it) cannot be saved.
    rmSync(path.join(dir, ".stagecraft/tmp"), { recursive: true });
    writeFileSync(path.join(dir, ".stagecraft/tmp"), "");
    // New content, dated past the racy window, so that plan hashes it and has a digest to remember.
    const rows = path.join(dir, "data/rows.jsonl");
    writeFileSync(rows, rowsJsonl(13));
    const minuteAgo = (Date.now() - 60_000) / 1000;
    utimesSync(rows, minuteAgo, minuteAgo);
    const plan = await sc(dir, ["plan", "p.sc"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toBe("");
    // run must write there, and says why it cannot.
    expectOneLine(await sc(dir, ["run", "p.sc"]), /^stagecraft run: cannot use '\.stagecraft' as the cache: '\.stagecraft\/tmp' is not a directory/, "run");
  });

  it("an existing read-only cache: plan, log, ls, verify and replay work; run says it cannot write", async () => {
    const dir = project();
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    const cache = path.join(dir, ".stagecraft");
    chmodDirs(cache, 0o555);
    try {
      expect((await sc(dir, ["plan", "p.sc"])).code).toBe(0);
      expect((await sc(dir, ["log"])).stdout).toMatch(/ok .*1 ran/);
      expect((await sc(dir, ["cache", "ls"])).stdout).toMatch(/^1 results/m);
      expect((await sc(dir, ["cache", "verify"])).code).toBe(0);
      const replay = await sc(dir, ["replay", "p.sc", "count", "--to", "back"]);
      expect(replay.code, replay.stderr).toBe(0);
      expect(readFileSync(path.join(dir, "back/out/n.txt"), "utf8")).toBe(readFileSync(path.join(dir, "out/n.txt"), "utf8"));
      const run = await sc(dir, ["run", "p.sc", "--force"]);
      if (!ROOT_USER) {
        expectOneLine(run, /^stagecraft run: the cache '\.stagecraft' is not writable \(permission denied\), and run needs to write to it/, "run");
      }
    } finally {
      chmodDirs(cache, 0o755);
    }
  });

  it("a new cache in a read-only directory: plan works without it; run says where it cannot write", async () => {
    const dir = project();
    const ro = path.join(dir, "ro");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    try {
      const plan = await sc(dir, ["plan", "p.sc", "--cache-dir", "ro/cache"]);
      expect(plan.code, plan.stderr).toBe(0);
      expect((await sc(dir, ["cache", "verify", "--cache-dir", "ro/cache"])).code).toBe(0);
      // As root, chmod does not stop plan from making the cache it keeps its compiled pipeline in.
      if (!ROOT_USER) expect(existsSync(path.join(ro, "cache"))).toBe(false);
      const run = await sc(dir, ["run", "p.sc", "--cache-dir", "ro/cache"]);
      if (!ROOT_USER) {
        expectOneLine(run, /^stagecraft run: the cache 'ro\/cache' is not writable \('ro': permission denied\), and run needs to write to it/, "run");
        expect(existsSync(path.join(ro, "cache"))).toBe(false);
      }
    } finally {
      chmodSync(ro, 0o755);
    }
  });
});
