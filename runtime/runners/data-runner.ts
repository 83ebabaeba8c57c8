import path from "node:path";
import type { IrNode, NodeId } from "../../src/ir/ir.js";
import { num, obj, str } from "../../src/ir/read.js";
import type { RowExpr } from "../../src/ir/row-expr.js";
import { ofRows, type OpInput, type OpResult, type Skips } from "../data/op-common.js";
import { dedupe, intersect, minus, normalize, sample, score, take, top, union, where } from "../data/ops.js";
import { GENERATOR_NAMES, writeGenerated } from "../train/data/generators.js";
import { scorerOf } from "../scorers.js";
import type { NodeOutcome, NodeRunner, RunnerContext } from "../runner.js";
import { scoreGroups } from "./score-fields.js";


/**
 * The rows file of an input and its policy for malformed lines: a source is read in place under its
 * own `on_error`, anything else from the store.
 */
function inputFile(ctx: RunnerContext, id: NodeId): OpInput {
  const n = ctx.ir.nodes.get(id);
  if (n?.op === "jsonl") {
    const p = obj(n.params);
    // Source paths are already relative to the working directory (resolved against the pipeline file).
    return { file: path.resolve(str(p["path"])), onError: p["on_error"] === "skip" ? "skip" : "fail" };
  }
  const file = ctx.outputs(id).get("data.jsonl");
  if (!file) throw new Error(`input ${n?.name ?? id} has no rows file`);
  // Rows written by a transform are well formed JSON, but may still be rows a later transform cannot
  // use (`dedupe` passes a row whose `q` is text to a `where q >= 4`): the policy of the source they
  // came from still holds for them.
  return { file, onError: sourcePolicy(ctx, id) };
}

/** The on_error of the data source a chain of transforms starts from (its first input's, up the chain). */
function sourcePolicy(ctx: RunnerContext, id: NodeId): "fail" | "skip" {
  for (let n = ctx.ir.nodes.get(id), hops = 0; n && hops < 10_000; hops++) {
    if (n.op === "jsonl") return obj(n.params)["on_error"] === "skip" ? "skip" : "fail";
    if (n.kind === "stage") return "fail";
    const up = rowsInput(n);
    n = up === undefined ? undefined : ctx.ir.nodes.get(up);
  }
  return "fail";
}

/**
 * The input whose rows a node transforms. A transform's is its first input; a `score` stage's is its
 * `data` field, a dataset or a stage that yields one (its inputs are whatever its fields read).
 */
function rowsInput(node: IrNode): NodeId | undefined {
  if (node.kind !== "stage") return node.inputs[0];
  const ref = obj(obj(node.params)["data"]);
  const id = ref["data"] ?? ref["stage"];
  return typeof id === "string" ? (id as NodeId) : node.inputs[0];
}

/** Streams one data transform from its input files into a new rows file. */
export const dataRunner: NodeRunner = {
  async run(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
    try {
      return await transform(node, ctx);
    } catch (e) {
      throw namedRows(e, node, ctx);
    }
  },
};

/**
 * An error placed in the rows another transform made names them by that node, not by the cached
 * file they are kept in, whose path means nothing to the user: "rows of good:where, line 3: ...".
 */
function namedRows(e: unknown, node: IrNode, ctx: RunnerContext): unknown {
  if (!(e instanceof Error)) return e;
  for (const [file, name] of madeRows(node, ctx)) {
    if (e.message.includes(`${file}:`)) e.message = e.message.split(`${file}:`).join(`rows of ${name}, line `);
  }
  return e;
}

/** How a warning names an input's rows: a source by its file, another transform's by that node. */
function rowsLabel(node: IrNode, ctx: RunnerContext, file: string): string {
  const name = madeRows(node, ctx).get(file);
  return name === undefined ? file : `the rows of ${name}`;
}

/** The inputs of `node` that are rows another transform made: their file in the cache → that node's name. */
function madeRows(node: IrNode, ctx: RunnerContext): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of node.inputs) {
    const n = ctx.ir.nodes.get(id);
    const file = n?.op === "jsonl" ? undefined : ctx.outputs(id).get("data.jsonl");
    if (file) out.set(file, n?.name ?? id);
  }
  return out;
}

async function transform(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
  const p = obj(node.params);
  const out = path.join(ctx.scratch, "data.jsonl");
  const first = rowsInput(node);
  const a = first === undefined ? undefined : inputFile(ctx, first);
  if (!a && node.inputs.length) throw new Error("missing input");
  const opts = { onError: a?.onError ?? "fail" } as const;
  let r: OpResult;
  // The set operations' second input, and what was skipped in it: read under its own policy.
  let other: { readonly input: OpInput; readonly skips: Skips } | undefined;
  switch (node.op) {
    case "synthetic": {
      const generator = str(p["generator"]);
      if (!GENERATOR_NAMES.includes(generator)) throw new Error(`there is no built-in generator "${generator}" (the generators are ${GENERATOR_NAMES.join(", ")})`);
      // A seed left out means the pipeline's, which the fingerprint already holds for this kind.
      const seed = typeof p["seed"] === "number" ? p["seed"] : ctx.ir.pipeline.seed;
      r = { rows: await writeGenerated(generator, num(p["rows"], 0), seed, out, { rationale: p["rationale"] !== false }), skipped: 0, badLines: [] };
      break;
    }
    case "where":
      r = await where(a!.file, out, p["predicate"] as unknown as RowExpr, opts);
      break;
    case "take":
    case "top":
    case "sample": {
      const file = a!.file;
      const op = (n: number): Promise<OpResult> =>
        node.op === "take" ? take(file, out, n, opts) : node.op === "top" ? top(file, out, n, str(p["by"]), opts) : sample(file, out, n, num(p["seed"], 0), opts);
      // `take(10%)`: a fraction of the rows the input turns out to have.
      r = p["fraction"] !== undefined ? await ofRows(file, num(p["fraction"], 0), opts, op) : await op(num(p["n"], 0));
      break;
    }
    case "dedupe":
      r = await dedupe(a!.file, out, str(p["by"]), opts);
      break;
    case "normalize":
      r = await normalize(a!.file, out, (p["fields"] as string[] | undefined) ?? [], opts);
      break;
    case "union":
    case "intersect":
    case "minus": {
      const b = node.inputs[1];
      if (b === undefined) throw new Error("missing input");
      const op = node.op === "union" ? union : node.op === "intersect" ? intersect : minus;
      const input = inputFile(ctx, b);
      const res = await op(a!, input, out, str(p["by"], "id"));
      r = res;
      other = { input, skips: res.other };
      break;
    }
    case "score": {
      const groups = scoreGroups(node);
      if (groups.length === 0) throw new Error(`${node.name} names no score fields`);
      // One pass per scorer, each adding its fields to the last pass's rows; only the first
      // reads the input, so only its skipped lines are the input's.
      let cur = a!.file;
      r = { rows: 0, skipped: 0, badLines: [] };
      for (const [i, g] of groups.entries()) {
        const dest = i === groups.length - 1 ? out : path.join(ctx.scratch, `score-${i}.jsonl`);
        const res = await score(cur, dest, g.fields, scorerOf(g.scorer, ctx), i === 0 ? opts : {});
        r = i === 0 ? res : { ...res, skipped: r.skipped, badLines: r.badLines };
        cur = dest;
      }
      break;
    }
    case "stage-output": {
      const file = ctx.outputs(node.inputs[0]!).get("data.jsonl");
      if (!file) throw new Error(`stage ${ctx.ir.nodes.get(node.inputs[0]!)?.name} produced no rows`);
      return { outputs: [{ name: "data.jsonl", path: file }] };
    }
    default:
      throw new Error(`the data transform '${node.op}' needs the training runtime, which this version does not have yet`);
  }
  const warnings = [skippedWarning(a && rowsLabel(node, ctx, a.file), r), skippedWarning(other && rowsLabel(node, ctx, other.input.file), other?.skips)].filter((w) => w !== undefined);
  return { outputs: [{ name: "data.jsonl", path: out }], warnings };
}

/**
 * The warning for the lines skipped in one input file, naming the file and the lines, and, for rows
 * the transform could not use, why the first of them could not be.
 */
function skippedWarning(file: string | undefined, r: Skips | undefined): string | undefined {
  if (!file || !r?.skipped) return undefined;
  const lines = `line${r.badLines.length === 1 ? "" : "s"} ${r.badLines.slice(0, 10).join(", ")}${r.badLines.length > 10 ? ", ..." : ""}`;
  const unfit = r.unfit ?? 0;
  const rows = (n: number) => `${n} row${n === 1 ? "" : "s"}`;
  const why = r.firstUnfit ? `line ${r.firstUnfit.line}: ${r.firstUnfit.reason}` : "";
  if (unfit === 0) return `skipped ${r.skipped} malformed row${r.skipped === 1 ? "" : "s"} of ${file} (${lines})`;
  if (unfit === r.skipped) return `skipped ${rows(unfit)} of ${file} that the transform cannot use (${lines}; ${why})`;
  return `skipped ${rows(r.skipped)} of ${file} (${lines}): ${r.skipped - unfit} malformed, ${unfit} that the transform cannot use (${why})`;
}
