import type { IrNode } from "../../../src/ir/ir.js";
import type { NodeOutcome, RunnerContext } from "../../runner.js";
import { Model, resolveModel, saveModel } from "./artifact.js";
import { obj, paramsOf, refOf, str } from "./params.js";
import { trainingBackend } from "./setup.js";

const ROLE = { vision_encoder: "encoder", mlp: "adapter", decoder_lm: "lm" } as const;

/**
 * `replace = old with new`: the part named `old` in the `from` model is taken out and the model
 * `new` (one part, fresh or trained by a stage) takes its place; every other part keeps its
 * weights bit for bit. The new part must fit where the old one sat (checked by the composition).
 */
export async function runSwap(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
  const backend = (await trainingBackend(ctx)).name;
  const p = paramsOf(node);
  const from = refOf(p["from"], "stage");
  if (!from) throw new Error("swap needs `from`, a stage that yields a model");
  const r = obj(p["replace"]);
  const old = str(r["replace"]);
  const base = await resolveModel(p["from"], ctx);
  const incoming = await resolveModel(r["with"] ?? null, ctx).catch((e: unknown) => {
    base.dispose();
    throw e;
  });
  const owned = [base, incoming];
  try {
    const at = base.parts.findIndex((x) => x.name === old);
    if (at < 0) throw new Error(`the model of ${ctx.ir.nodes.get(from)?.name ?? from} has no part '${old}' (it has ${base.parts.map((x) => x.name).join(", ")})`);
    if (incoming.parts.length !== 1) throw new Error(`only one part can take the place of '${old}', not ${incoming.describe()}`);
    const neu = incoming.parts[0]!;
    if (neu.part.kind !== base.parts[at]!.part.kind) throw new Error(`'${old}' is a ${base.parts[at]!.part.kind}; it cannot be replaced by a ${neu.part.kind}`);
    const swapped = new Model(base.parts.map((x, i) => (i === at ? neu : x)));
    // Composed.with is the composition's own swap; building it checks the widths still line up.
    base.composed()?.with(ROLE[neu.part.kind], neu.part, neu.name);
    const outputs = await saveModel(ctx.scratch, swapped, { stage: node.name, step: 0, fingerprint: ctx.fingerprint ?? "", backend });
    return { outputs, stdout: `${base.describe()} → ${swapped.describe()}\n` };
  } finally {
    owned.forEach((m) => m.dispose());
  }
}
