import type { NodeRunner } from "../runner.js";
import { commandRunner } from "./command-runner.js";
import { dataRunner } from "./data-runner.js";
import { distillRunner, evalRowsRunner, evalRunner, grpoRunner, pretrainRunner, sftRunner, swapRunner } from "./train-runners.js";

/** The runner for each node kind. Kinds without one fail with a clear message when they must run. */
export const RUNNERS: Readonly<Record<string, NodeRunner>> = {
  command: commandRunner,
  where: dataRunner, take: dataRunner, top: dataRunner, sample: dataRunner, dedupe: dataRunner,
  normalize: dataRunner, union: dataRunner, intersect: dataRunner, minus: dataRunner,
  score: dataRunner, "stage-output": dataRunner,
  synthetic: dataRunner, distill: distillRunner,
  pretrain: pretrainRunner, sft: sftRunner, eval: evalRunner, swap: swapRunner, grpo: grpoRunner,
  failures: evalRowsRunner, successes: evalRowsRunner,
};
