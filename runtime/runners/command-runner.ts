import { rm } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { Canon, IrNode, NodeId } from "../../src/ir/ir.js";
import type { NodeOutcome, NodeRunner, RunnerContext } from "../runner.js";

const obj = (v: Canon | undefined): Record<string, Canon> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, Canon>) : {});

/** Environment variable names for inputs: STAGECRAFT_INPUT_<NAME>. */
function envName(name: string): string {
  return `STAGECRAFT_INPUT_${name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
}

/**
 * A command stage: an argv run without a shell (or a shell line when the file says `shell`), in the
 * pipeline's directory or its `cwd`. Declared outputs are removed first, so a stale file can never
 * pass for a fresh one, captured into the store after a zero exit, and removed again on failure.
 * Datasets and stages it reads are handed over as paths in STAGECRAFT_INPUT_<NAME> variables.
 */
export const commandRunner: NodeRunner = {
  async run(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
    const p = obj(node.params);
    const cwd = path.resolve(ctx.cwd, typeof p["cwd"] === "string" ? p["cwd"] : ".");
    const outputs = Array.isArray(p["outputs"]) ? (p["outputs"] as Canon[]).map(String) : [];
    const env: Record<string, string> = Object.fromEntries(Object.entries(obj(p["env"])).map(([k, v]) => [k, String(v)]));
    for (const id of node.inputs) {
      const n = ctx.ir.nodes.get(id);
      const file = ctx.outputs(id as NodeId).get("data.jsonl") ?? (n?.op === "jsonl" ? path.resolve(String(obj(n.params)["path"])) : undefined);
      if (n && file) env[envName(n.name)] = file;
    }
    for (const o of outputs) await rm(path.resolve(cwd, o), { force: true, recursive: true });
    const opts = { cwd, env: { ...env, STAGECRAFT_STAGE: node.name }, cancelSignal: ctx.signal, reject: false, all: false, stripFinalNewline: false, forceKillAfterDelay: 2000 } as const;
    const argv = Array.isArray(p["run"]) ? (p["run"] as Canon[]).map(String) : [];
    const result = typeof p["shell"] === "string" ? await execa(p["shell"], { ...opts, shell: true }) : await execa(argv[0] ?? "", argv.slice(1), opts);
    const stdout = String(result.stdout ?? "");
    const stderr = String(result.stderr ?? "");
    if (result.isCanceled || ctx.signal.aborted) {
      await removeOutputs(cwd, outputs);
      throw new Error("interrupted");
    }
    if (result.failed) {
      await removeOutputs(cwd, outputs);
      const tail = stderr.trim().split("\n").slice(-5).join("\n");
      const why = result.exitCode !== undefined ? `exited with code ${result.exitCode}` : result.signal ? `was killed by ${result.signal}` : (result.originalMessage ?? "failed to start");
      throw new Error(`command ${why}${tail ? `:\n${tail}` : ""}`);
    }
    const produced = [];
    for (const o of outputs) produced.push({ name: o, path: path.resolve(cwd, o) });
    return { outputs: produced, stdout, stderr };
  },
};

async function removeOutputs(cwd: string, outputs: readonly string[]): Promise<void> {
  for (const o of outputs) await rm(path.resolve(cwd, o), { force: true, recursive: true });
}
