import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Digest } from "../../src/cache/digest.js";
import { Store } from "../../src/cache/store.js";
import { main } from "../../src/cli/main.js";

/** The repository root, wherever vitest was started from. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "bin", "stagecraft.js");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A fresh directory under the system temp dir; the caller removes it (see `cleanup`). */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `sc-engine-${prefix}-`));
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Writes files (relative path → text) under `dir`, creating directories. */
export function writeTree(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

/**
 * The CLI in-process, run from `dir` as a user would (`cd dir && stagecraft ...`), so every path in
 * plans and reasons is relative. Test files run one test at a time in their own process (pool: forks),
 * so changing the working directory for the duration of the call is safe.
 */
export async function sc(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const before = process.cwd();
  process.chdir(dir);
  try {
    const code = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), isTTY: false, env });
    return { code, stdout, stderr };
  } finally {
    process.chdir(before);
  }
}

/** A pipeline of one command that counts the rows of data/rows.jsonl (see rowsJsonl) into out/n.txt. */
export function countRowsPipeline(name: string): string {
  return `pipeline ${name} {
  seed = 1
}

dataset rows = jsonl("data/rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])

stage count : command {
  run = ["sh", "-c", "wc -l < \\"$STAGECRAFT_INPUT_ROWS\\" > out/n.txt"]
  inputs = [rows]
  outputs = ["out/n.txt"]
}
`;
}

/**
 * A fresh project holding `files` (the pipeline is `p.sc`), run once; fails with run's messages when
 * that run does. The caller removes the directory (see `cleanup`).
 */
export async function ranProject(prefix: string, files: Readonly<Record<string, string>>): Promise<string> {
  const dir = tempDir(prefix);
  writeTree(dir, files);
  const run = await sc(dir, ["run", "p.sc"]);
  if (run.code !== 0) throw new Error(`the first run of ${dir}/p.sc failed (exit ${run.code}):\n${run.stderr}`);
  return dir;
}

/** `plan --json` from `dir`, parsed; the exit code rides along. */
export async function planJson(dir: string, file: string, extra: readonly string[] = []): Promise<PlanJson & { readonly code: number }> {
  const r = await sc(dir, ["plan", file, "--json", ...extra]);
  if (!r.stdout.trim().startsWith("{")) throw new Error(`plan printed no JSON (exit ${r.code}):\n${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as PlanJson), code: r.code };
}

export interface PlanNodeJson {
  readonly name: string;
  readonly kind: "data" | "stage";
  readonly op: string;
  readonly status: "cached" | "run" | "blocked" | "skipped" | "source";
  readonly reasons: string[];
  readonly fingerprint: string;
  readonly inputs: string[];
  readonly where: string;
  readonly notes?: string[];
}

export interface PlanJson {
  readonly pipeline: string;
  readonly entry: string;
  readonly backend: string;
  readonly totals: { run: number; cached: number; blocked: number; skipped: number };
  readonly nodes: PlanNodeJson[];
}

/** name → [status, ...reasons], the shape most assertions want. */
export function statuses(p: PlanJson): Record<string, string[]> {
  return Object.fromEntries(p.nodes.map((n) => [n.name, [n.status, ...n.reasons]]));
}

/** The nodes whose status or fingerprint differ between two plans: name → [before, after]. */
export function changed(a: PlanJson, b: PlanJson): Record<string, { status: string; reasons: string[]; fingerprint: boolean }> {
  const out: Record<string, { status: string; reasons: string[]; fingerprint: boolean }> = {};
  for (const n of b.nodes) {
    const old = a.nodes.find((x) => x.name === n.name);
    if (!old || old.status !== n.status || old.fingerprint !== n.fingerprint) out[n.name] = { status: n.status, reasons: n.reasons, fingerprint: old?.fingerprint !== n.fingerprint };
  }
  return out;
}

/** Fails when the bundled CLI is missing, and warns when it is older than the sources it is built from. */
export function assertBuilt(): void {
  const bundle = path.join(ROOT, "dist", "bundle", "main.mjs");
  if (!existsSync(bundle)) throw new Error("dist/bundle/main.mjs is missing: run `npm run build` before these tests");
  const built = statSync(bundle).mtimeMs;
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) t = Math.max(t, newest(p));
      else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
    }
    return t;
  };
  const src = Math.max(...["src", "runtime", "grammar"].map((d) => newest(path.join(ROOT, d))));
  if (src > built) console.warn("warning: dist/bundle/main.mjs is older than the sources; the tests that spawn the CLI test the last build (`npm run build`)");
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult & { readonly signal: NodeJS.Signals | null }>;
  /** Resolves once stderr has printed a line matching `re`. */
  readonly waitFor: (re: RegExp, timeoutMs?: number) => Promise<void>;
  stderr(): string;
}

/**
 * The built CLI as a separate process in `dir`. With `group`, the process leads its own process group,
 * so a test can kill it with everything it started, as a crash or an OOM kill of the whole job would.
 */
export function spawnCli(dir: string, args: readonly string[], opts: { readonly group?: boolean; readonly env?: Record<string, string> } = {}): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.group === true,
  });
  let stdout = "";
  let stderr = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on("data", (b: Buffer) => {
    stderr += b.toString();
    for (const w of [...waiters]) if (w.re.test(stderr)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  const waitFor = (re: RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(stderr)) return resolve();
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${stderr}`)), timeoutMs);
      waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
    });
  return { child, done, waitFor, stderr: () => stderr };
}

/** Every regular file under `dir` (relative path → bytes), skipping the directories named in `skip`. */
export function snapshot(dir: string, skip: readonly string[] = [".stagecraft"]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (skip.includes(rel)) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[rel] = readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

/** Lines in a counter file that commands append to (one line per execution), 0 when absent. */
export function countLines(file: string, match?: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, "utf8").split("\n").filter((l) => l !== "" && (match === undefined || l === match)).length;
}

/** Deterministic rows for the fixtures: ids, a quality 0..4, a topic (some spam) and texts with repeats. */
export function rowsJsonl(n = 12, offset = 0): string {
  const topics = ["math", "chart", "spam", "ocr"];
  let s = "";
  for (let i = 1 + offset; i <= n + offset; i++) {
    s += `${JSON.stringify({ id: i, q: (i * 7) % 5, topic: topics[i % topics.length], text: `text ${i % 9} ${"x".repeat(i % 6)}` })}\n`;
  }
  return s;
}

/** The shared project layout the fixtures under test/fixtures/plans expect: data and small scripts. */
export function fixtureProject(dir: string): void {
  writeTree(dir, {
    "data/rows.jsonl": rowsJsonl(),
    "data/extra.jsonl": rowsJsonl(4, 20),
    "data/config.json": `{"k": 1}\n`,
    "scripts/emit.sh": `printf '%s world\\n' "$GREETING" > "$1"\n`,
    // Line counts of every dataset the stage reads, in a fixed order.
    "scripts/count.sh": `for v in $(env | grep '^STAGECRAFT_INPUT_' | cut -d= -f1 | sort); do eval "wc -l < \\"\\$$v\\""; done > "$1"\n`,
    "scripts/len.js": `const rl = require("readline").createInterface({ input: process.stdin });\nrl.on("line", (l) => process.stdout.write(JSON.stringify({ score: JSON.parse(l).text.length }) + "\\n"));\n`,
  });
  mkdirSync(path.join(dir, "out"), { recursive: true });
  mkdirSync(path.join(dir, "sub"), { recursive: true });
}

/** A cached node's output files (name → path in the store) and its metrics text. */
export interface StageResult {
  readonly files: ReadonlyMap<string, string>;
  readonly metrics?: string;
}

/** Every node of `file` with a result in `dir`'s cache, by name, as the plan sees them. */
export async function cachedResults(dir: string, file: string, extra: readonly string[] = []): Promise<Map<string, StageResult>> {
  const plan = await planJson(dir, file, extra);
  const store = await Store.open(path.join(dir, ".stagecraft"));
  const out = new Map<string, StageResult>();
  for (const n of plan.nodes) {
    const m = await store.readManifest(n.fingerprint);
    if (!m.ok) continue;
    const metrics = m.manifest.metrics ? readFileSync(store.objectPath(m.manifest.metrics as Digest), "utf8") : undefined;
    out.set(n.name, { files: new Map(m.manifest.outputs.map((o) => [o.name, store.objectPath(o.digest)])), ...(metrics ? { metrics } : {}) });
  }
  return out;
}

/**
 * The pid a test's command writes to `file` (`echo $$ > sh.pid`), once the whole line is there: a
 * command writes it when the process it names has started.
 */
export async function pidWritten(file: string, timeoutMs = 10_000): Promise<number> {
  for (const t0 = Date.now(); Date.now() - t0 < timeoutMs; await new Promise((r) => setTimeout(r, 25))) {
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (/^\d+\s*$/.test(text)) return Number(text);
  }
  throw new Error(`no pid in ${file} after ${timeoutMs} ms`);
}
