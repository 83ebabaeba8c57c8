import type { Model } from "./artifact.js";
import type { Row } from "./params.js";
import { sampleCompletions } from "./sample.js";

/** Greedy completions of each row's prompt, up to `maxNew` tokens or <eos>, batch by batch. */
export async function greedy(model: Model, rows: readonly Row[], maxNew: number, batchSize: number, where: string): Promise<string[]> {
  return (await sampleCompletions(model, rows, { temperature: 0, maxNew, seed: 0, batchSize, where })).map((s) => s.text);
}
