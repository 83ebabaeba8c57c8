/** The streaming data transforms, one import for the stage runners. */
export { commandScorer, type CommandScorerOptions } from "./command-scorer.js";
export { DataError, RowError, ScorerError } from "./errors.js";
export { readJsonl, writeJsonl, MAX_BAD_LINES, type JsonlReader, type JsonlRow, type OnError, type ReadOptions, type ReadReport } from "./jsonl.js";
export type { OpInput, OpOptions, OpResult, PairResult } from "./op-common.js";
export { take, takeFraction, where } from "./ops-filter.js";
export { dedupe, intersect, minus, union } from "./ops-keys.js";
export { normalize } from "./ops-normalize.js";
export { sample, top } from "./ops-rank.js";
export { score, type Scorer, type ScoreField, type ScorerRow } from "./ops-score.js";
export { evalRow } from "./row-eval.js";
