import path from "node:path";
import type { Canon, IrNode, NodeId } from "../../src/ir/ir.js";
import { num, obj, str } from "../../src/ir/read.js";
import type { RowExpr } from "../../src/ir/row-expr.js";
import type { OnError } from "../data/jsonl.js";
import type { OpResult } from "../data/op-common.js";
import { dedupe, intersect, minus, normalize, sample, score, take, takeFraction, top, union, where } from "../data/ops.js";
import { GENERATOR_NAMES, writeGenerated } from "../train/data/generators.js";
import { scorerOf } from "../scorers.js";
import type { NodeOutcome, NodeRunner, RunnerContext } from "../runner.js";


/** The rows file of an input: a source is read in place, anything else from the store. */
function inputFile(ctx: RunnerContext, id: NodeId): { file: string; onError: OnError } {
  const n = ctx.ir.nodes.get(id);
  if (n?.op === "jsonl") {
    const p = obj(n.params);
    // Source paths are already relative to the working directory (resolved against the pipeline file).
    return { file: path.resolve(str(p["path"])), onError: p["on_error"] === "skip" ? "skip" : "fail" };
  }
  const file = ctx.outputs(id).get("data.jsonl");
  if (!file) throw new Error(`input ${n?.name ?? id} has no rows file`);
  return { file, onError: "fail" };
}


/** Streams one data transform from its input files into a new rows file. */
export const dataRunner: NodeRunner = {
  async run(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
    const p = obj(node.params);
    const out = path.join(ctx.scratch, "data.jsonl");
    const [a, b] = node.inputs.map((i) => inputFile(ctx, i));
    if (!a && node.inputs.length) throw new Error("missing input");
    const opts = { onError: a?.onError ?? "fail" } as const;
    let r: OpResult;
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
        r = p["fraction"] !== undefined ? await takeFraction(a!.file, out, num(p["fraction"], 0), opts) : await take(a!.file, out, num(p["n"], 0), opts);
        break;
      case "top":
        r = await top(a!.file, out, num(p["n"], 0), str(p["by"]), opts);
        break;
      case "sample":
        r = await sample(a!.file, out, num(p["n"], 0), num(p["seed"], 0), opts);
        break;
      case "dedupe":
        r = await dedupe(a!.file, out, str(p["by"]), opts);
        break;
      case "normalize":
        r = await normalize(a!.file, out, (p["fields"] as string[] | undefined) ?? [], opts);
        break;
      case "union":
        r = await union(a!.file, b!.file, out, str(p["by"], "id"), opts);
        break;
      case "intersect":
        r = await intersect(a!.file, b!.file, out, str(p["by"], "id"), opts);
        break;
      case "minus":
        r = await minus(a!.file, b!.file, out, str(p["by"], "id"), opts);
        break;
      case "score": {
        const fields = (p["fields"] as Canon[] | undefined) ?? [];
        // Fields scored by the same scorer share one run of it.
        let cur = a!.file;
        r = { rows: 0, skipped: 0, badLines: [] };
        for (const [i, f] of fields.entries()) {
          const fo = obj(f);
          const dest = i === fields.length - 1 ? out : path.join(ctx.scratch, `score-${i}.jsonl`);
          const res = await score(cur, dest, [{ field: str(fo["field"]), output: str(fo["output"], "score") }], scorerOf(fo["scorer"] ?? null, ctx), i === 0 ? opts : {});
          if (i === 0) r = res;
          else r = { ...res, skipped: r.skipped, badLines: r.badLines };
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
    const warnings = r.skipped ? [`skipped ${r.skipped} malformed row${r.skipped === 1 ? "" : "s"} of ${a?.file} (line${r.badLines.length === 1 ? "" : "s"} ${r.badLines.slice(0, 10).join(", ")}${r.badLines.length > 10 ? ", ..." : ""})`] : [];
    return { outputs: [{ name: "data.jsonl", path: out }], warnings };
  },
};
