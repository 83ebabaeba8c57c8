/**
 * Implementation versions, one per node kind. Bump a kind's number when its runner computes
 * something different for the same inputs: every cached result of that kind then reruns, and the
 * plan says why ("runtime sft 1 → 2").
 */
export const IMPL_VERSIONS: Readonly<Record<string, number>> = {
  // stages
  pretrain: 2, sft: 1, grpo: 2, eval: 2, swap: 1, distill: 2, score: 1, command: 1,
  // data
  jsonl: 1, synthetic: 2, where: 1, take: 1, top: 1, sample: 1, dedupe: 1, normalize: 1,
  "stage-output": 1, union: 1, intersect: 1, minus: 1, failures: 1, successes: 1, invalid: 1,
};

/** Kinds whose results depend on the numeric backend (training and generation). */
export const BACKEND_KINDS: ReadonlySet<string> = new Set(["pretrain", "sft", "grpo", "eval", "distill"]);

/** Kinds whose results depend on the seed. */
export const SEEDED_KINDS: ReadonlySet<string> = new Set(["pretrain", "sft", "grpo", "eval", "distill", "synthetic", "sample"]);
