import type { IrNode } from "../../src/ir/ir.js";
import type { NodeOutcome, NodeRunner, RunnerContext } from "../runner.js";

/**
 * Training stages. TensorFlow.js loads only when one of them runs (`check` and `plan` never pay
 * for it), so each runner imports its stage module on first use.
 */
export const pretrainRunner: NodeRunner = {
  async run(node, ctx) {
    return (await import("../train/stages/train.js")).runTraining("pretrain", node, ctx);
  },
};

export const sftRunner: NodeRunner = {
  async run(node, ctx) {
    return (await import("../train/stages/train.js")).runTraining("sft", node, ctx);
  },
};

export const evalRunner: NodeRunner = {
  async run(node, ctx) {
    return (await import("../train/stages/eval.js")).runEval(node, ctx);
  },
};

export const swapRunner: NodeRunner = {
  async run(node, ctx) {
    return (await import("../train/stages/swap.js")).runSwap(node, ctx);
  },
};

export const grpoRunner: NodeRunner = {
  async run(node, ctx) {
    return (await import("../train/stages/grpo.js")).runGrpo(node, ctx);
  },
};

/** The `distill` data step: a data node whose rows (with `cot`) come from a teacher model. */
export const distillRunner: NodeRunner = {
  async run(node, ctx) {
    return (await import("../train/stages/distill.js")).runDistill(node, ctx);
  },
};

/** `stage.failures` and `stage.successes`: the eval already wrote both files; this hands one on as rows. */
export const evalRowsRunner: NodeRunner = {
  async run(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome> {
    const stage = node.inputs[0];
    const name = node.op === "failures" ? "failures.jsonl" : "successes.jsonl";
    const file = stage ? ctx.outputs(stage).get(name) : undefined;
    if (!file) throw new Error(`${stage ? (ctx.ir.nodes.get(stage)?.name ?? stage) : "the stage"} wrote no ${name} (only an eval stage has .${node.op})`);
    return { outputs: [{ name: "data.jsonl", path: file }] };
  },
};
