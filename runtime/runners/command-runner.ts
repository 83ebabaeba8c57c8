import { existsSync } from "node:fs";
import { lstat, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { RUN_TOKEN_ENV, stopLeftovers } from "../../src/cache/leftovers.js";
import { execa } from "execa";
import { tailLines } from "../../src/cache/files.js";
import type { Canon, IrNode } from "../../src/ir/ir.js";
import { obj } from "../../src/ir/read.js";
import { declaredOutputs } from "../outputs.js";
import { stopGroup, trackGroup } from "../process-group.js";
import { FailedWithLogs, type LogFiles, type NodeOutcome, type NodeRunner, type RunnerContext } from "../runner.js";

/** Lines of stderr a failure's message ends with; the whole of it is kept in the store. */
const TAIL_LINES = 5;


/** Environment variable names for inputs: STAGECRAFT_INPUT_<NAME>. */
function envName(name: string): string {
  return `STAGECRAFT_INPUT_${name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
}

/**
 * What STAGECRAFT_INPUT_<NAME> holds for an input: a dataset's rows file; another command's declared
 * outputs where it wrote them; any other stage's cached files. Several paths are joined with ':'
 * (as PATH is), in their names' order.
 */
function inputPaths(n: IrNode, ctx: RunnerContext): string | undefined {
  const files = ctx.outputs(n.id);
  const rows = files.get("data.jsonl");
  if (rows) return rows;
  if (n.op === "jsonl") return path.resolve(String(obj(n.params)["path"]));
  const paths = n.op === "command" ? declaredOutputs(n) : [...files.keys()].sort().map((k) => files.get(k)!);
  return paths.length ? paths.join(":") : undefined;
}

/**
 * A command stage: an argv run without a shell (or a shell line when the file says `shell`), in the
 * directory of its file or its `cwd`. Declared outputs are removed first, so a stale file can never
 * pass for a fresh one (the executor has kept aside what no run made, see outputs.ts), captured into
 * the store after a zero exit, and removed again on failure.
 * Datasets and stages it reads are handed over as paths in STAGECRAFT_INPUT_<NAME> variables.
 */
export const commandRunner: NodeRunner = {
  async run(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
    const p = obj(node.params);
    const cwd = path.resolve(ctx.cwd, typeof p["cwd"] === "string" ? p["cwd"] : ".");
    const outputs = Array.isArray(p["outputs"]) ? (p["outputs"] as Canon[]).map(String) : [];
    const env: Record<string, string> = Object.fromEntries(Object.entries(obj(p["env"])).map(([k, v]) => [k, String(v)]));
    // A seed written on the stage reaches the command, which is why it is part of its fingerprint.
    if (typeof p["seed"] === "number") env["STAGECRAFT_SEED"] = String(p["seed"]);
    // Each input under the name the command's `inputs` write it by (a data node shared with other
    // readers is named after the first of them, which is not this command's to depend on).
    const written = new Map<string, string>();
    for (const i of Array.isArray(p["inputs"]) ? p["inputs"] : []) {
      const r = obj(i);
      const id = r["data"] ?? r["stage"];
      if (typeof id === "string" && typeof r["as"] === "string") written.set(id, r["as"]);
    }
    for (const id of node.inputs) {
      const n = ctx.ir.nodes.get(id);
      const file = n ? inputPaths(n, ctx) : undefined;
      if (n && file) env[envName(written.get(id) ?? n.name)] = file;
    }
    for (const o of outputs) {
      await removeOutput(cwd, o, true);
      // Restoring from the cache creates an output's directory, so running must too.
      await mkdir(path.dirname(path.resolve(cwd, o)), { recursive: true });
    }
    // The command leads its own process group, so stopping it also stops what it started (a shell's
    // children, a launcher's workers): they would otherwise keep running, and keep its pipes open.
    // Its output streams into files in the node's scratch directory, never into memory: any amount
    // of it is kept, where a buffer would have a limit (and kill the command when it was reached).
    // Its input is empty (/dev/null): a command that reads stdin gets end of file, not a wait forever.
    const logFiles = { stdout: path.join(ctx.scratch, "stdout.log"), stderr: path.join(ctx.scratch, "stderr.log") };
    const opts = {
      cwd, env, detached: true, reject: false, buffer: false, stdin: "ignore",
      stdout: { file: logFiles.stdout }, stderr: { file: logFiles.stderr },
    } as const;
    const argv = Array.isArray(p["run"]) ? (p["run"] as Canon[]).map(String) : [];
    const sub = typeof p["shell"] === "string" ? execa(p["shell"], { ...opts, shell: true }) : execa(argv[0] ?? "", argv.slice(1), opts);
    let cancelForce: (() => void) | undefined;
    const stop = () => {
      cancelForce = stopGroup(sub.pid, 2000, () => {
        // What left the command's process group (setsid, setpgid) still carries the run's token, and
        // may hold its output open, so the run would wait for it: it is stopped too (Linux).
        const token = process.env[RUN_TOKEN_ENV];
        if (token) void stopLeftovers(token);
      });
    };
    ctx.signal.addEventListener("abort", stop, { once: true });
    if (ctx.signal.aborted) stop();
    trackGroup(sub.pid, sub);
    let result;
    try {
      result = await sub;
    } finally {
      ctx.signal.removeEventListener("abort", stop);
      cancelForce?.();
    }
    if (result.isCanceled || ctx.signal.aborted) {
      await removeOutputs(cwd, outputs);
      throw new Error("interrupted");
    }
    if (result.failed) {
      await removeOutputs(cwd, outputs);
      const tail = await stderrTail(logFiles.stderr);
      const why = result.exitCode !== undefined ? `exited with code ${result.exitCode}` : result.signal ? `was killed by ${result.signal}` : startFailure(result, argv[0] ?? "", cwd);
      throw new FailedWithLogs(`command ${why}${tail ? `:\n${tail}` : ""}`, logFiles);
    }
    const produced = [];
    for (const o of outputs) produced.push({ name: o, path: path.resolve(cwd, o) });
    const outcome: NodeOutcome = { outputs: produced, logFiles };
    return outcome;
  },
};

/** The last lines of a failed command's stderr; empty when it wrote nothing (or never started). */
async function stderrTail(file: string): Promise<string> {
  try {
    return (await tailLines(file, TAIL_LINES)).lines.join("\n").trim();
  } catch {
    return "";
  }
}

async function removeOutputs(cwd: string, outputs: readonly string[]): Promise<void> {
  for (const o of outputs) await removeOutput(cwd, o, false);
}

/**
 * Removes a declared output, which is a file. A directory there is never removed (it may hold the
 * user's data): before a run that is an error, after a failed one it is left alone.
 */
async function removeOutput(cwd: string, o: string, strict: boolean): Promise<void> {
  const p = path.resolve(cwd, o);
  const st = await lstat(p).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) {
    if (strict) throw new Error(`declared output ${o} is a directory: outputs are files, and stagecraft does not remove a directory to make room for one`);
    return;
  }
  await rm(p, { force: true });
}

/** Why a command did not start, in words: a program not found, or not runnable, rather than "spawn x ENOENT". */
function startFailure(r: { readonly code?: string; readonly originalMessage?: string }, program: string, cwd: string): string {
  if (r.code === "ENOENT" && !existsSync(cwd)) return `could not start: its working directory ${cwd} does not exist`;
  if (r.code === "ENOENT") {
    return program.includes("/") ? `could not start: '${program}' does not exist (looked for from ${cwd})` : `could not start: no program '${program}' on PATH`;
  }
  if (r.code === "EACCES") return `could not start: '${program}' is not executable`;
  return `could not start: ${r.originalMessage ?? "unknown error"}`;
}
