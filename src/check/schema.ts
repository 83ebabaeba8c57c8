import { didYouMean } from "../diagnostics/suggest.js";

/**
 * What each stage kind, pipeline setting and built-in function accepts. One table, read by the
 * checker, the formatter's tests and the language reference; adding a field is adding a row.
 */

/** What a field or argument must be. Ranges are inclusive unless marked exclusive. */
export type Expect =
  | { readonly is: "number"; readonly min?: number; readonly max?: number; readonly minExclusive?: boolean; readonly maxExclusive?: boolean; readonly integer?: boolean; readonly unit?: "count" | "ratio" }
  | { readonly is: "string"; readonly oneOf?: readonly string[] }
  | { readonly is: "bool" }
  | { readonly is: "regex" }
  | { readonly is: "lr" }
  | { readonly is: "model" }
  | { readonly is: "model-stage" }
  | { readonly is: "dataset" }
  | { readonly is: "scorer" }
  | { readonly is: "reward" }
  | { readonly is: "replace" }
  | { readonly is: "parts" }
  | { readonly is: "stages" }
  | { readonly is: "list"; readonly of: Expect }
  | { readonly is: "inputs" }
  | { readonly is: "record"; readonly fields?: Readonly<Record<string, FieldSpec>> }
  | { readonly is: "row-number" }
  | { readonly is: "row-bool" };

export interface FieldSpec {
  readonly expect: Expect;
  readonly doc: string;
  readonly required?: boolean;
  readonly default?: string;
  /**
   * The default as a value, where it is one: the runtime reads it from here, and lowering leaves out
   * a field set to it, so writing the default out changes no fingerprint.
   */
  readonly value?: number | string;
}

const strings: Expect = { is: "list", of: { is: "string" } };
const int = (min: number, extra: Partial<Extract<Expect, { is: "number" }>> = {}): Expect => ({ is: "number", integer: true, min, ...extra });
const pos = (extra: Partial<Extract<Expect, { is: "number" }>> = {}): Expect => ({ is: "number", min: 0, minExclusive: true, ...extra });

export const RESOURCES: Readonly<Record<string, FieldSpec>> = {
  partition: { expect: { is: "string" }, doc: "Slurm partition" },
  gpus: { expect: int(0), doc: "GPUs per job" },
  cpus: { expect: int(1), doc: "CPUs per job" },
  mem: { expect: { is: "string" }, doc: "memory per job, as Slurm writes it (\"64G\")" },
  time: { expect: { is: "string" }, doc: "time limit, as Slurm writes it (\"4:00:00\")" },
  sbatch: { expect: strings, doc: "extra sbatch arguments" },
};

const MODEL_SOURCE: Readonly<Record<string, FieldSpec>> = {
  from: { expect: { is: "model-stage" }, doc: "the stage whose model this stage starts from" },
  model: { expect: { is: "model" }, doc: "a declared model or composition to start from (instead of `from`)" },
};

const COMMON: Readonly<Record<string, FieldSpec>> = {
  after: { expect: { is: "stages" }, doc: "stages that must finish first, beyond those referenced; when one reruns, so does this stage" },
  resources: { expect: { is: "record", fields: RESOURCES }, doc: "scheduler resources for this stage" },
  seed: { expect: int(0), doc: "random seed", default: "the pipeline's seed" },
};

const TRAINING: Readonly<Record<string, FieldSpec>> = {
  ...MODEL_SOURCE,
  ...COMMON,
  data: { expect: { is: "dataset" }, doc: "training data", required: true },
  lr: { expect: { is: "lr" }, doc: "learning rate: a number (constant) or a schedule", required: true },
  batch: { expect: int(1), doc: "rows per optimizer step", default: "8", value: 8 },
  epochs: { expect: pos(), doc: "passes over the data", default: "1", value: 1 },
  steps: { expect: int(1), doc: "optimizer steps (instead of epochs)" },
  context: { expect: int(1, { unit: "count" }), doc: "context length in tokens", default: "2K" },
  weight_decay: { expect: { is: "number", min: 0 }, doc: "AdamW decoupled weight decay", default: "0", value: 0 },
  grad_clip: { expect: pos(), doc: "clip the global gradient norm to this" },
  train: { expect: { is: "parts" }, doc: "the parts of the model that are trained; the rest get no weight gradients", default: "every part not declared frozen" },
  checkpoint_every: { expect: int(1), doc: "checkpoint every N steps, so a killed run resumes inside the stage", default: "50", value: 50 },
};

export interface StageKindSpec {
  readonly doc: string;
  readonly yields: "model" | "dataset" | "eval" | "files";
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** At least one of these must be set (directly or through `defaults`). */
  readonly oneOf?: readonly (readonly string[])[];
  /** At most one of these may be set. */
  readonly exclusive?: readonly (readonly string[])[];
}

export const STAGE_KINDS: Readonly<Record<string, StageKindSpec>> = {
  pretrain: {
    doc: "train a built-in model from scratch: next-token prediction for an LM, classification for a vision encoder",
    yields: "model",
    fields: {
      ...TRAINING,
      objective: { expect: { is: "string", oneOf: ["next_token", "classify"] }, doc: "training objective", default: "next_token", value: "next_token" },
    },
    oneOf: [["from", "model"]],
    exclusive: [["from", "model"], ["epochs", "steps"]],
  },
  sft: {
    doc: "supervised fine-tuning of the named parts on (question, answer) rows",
    yields: "model",
    fields: TRAINING,
    oneOf: [["from", "model"]],
    exclusive: [["from", "model"], ["epochs", "steps"]],
  },
  grpo: {
    doc: "Group Relative Policy Optimization: sample a group per prompt, reward, normalise within the group",
    yields: "model",
    fields: {
      ...TRAINING,
      reward: { expect: { is: "reward" }, doc: "the reward to maximise", required: true },
      group: { expect: int(2), doc: "completions sampled per prompt", default: "8", value: 8 },
      temperature: { expect: pos(), doc: "sampling temperature", default: "1.0", value: 1 },
      max_completion: { expect: int(1, { unit: "count" }), doc: "maximum completion length in tokens", default: "256", value: 256 },
      kl: { expect: { is: "number", min: 0 }, doc: "weight of the k3 KL penalty to the starting model", default: "0", value: 0 },
      clip: { expect: pos({ max: 1, maxExclusive: true }), doc: "PPO clip range epsilon", default: "0.2", value: 0.2 },
    },
    oneOf: [["from", "model"]],
    exclusive: [["from", "model"], ["epochs", "steps"]],
  },
  eval: {
    doc: "generate answers, extract the \\boxed{} answer and compare it with the row's answer; yields .failures and .successes (accuracy is recorded with its results)",
    yields: "eval",
    fields: {
      ...MODEL_SOURCE,
      ...COMMON,
      data: { expect: { is: "dataset" }, doc: "rows to evaluate", required: true },
      max_new_tokens: { expect: int(1, { unit: "count" }), doc: "generation budget", default: "256", value: 256 },
    },
    oneOf: [["from", "model"]],
    exclusive: [["from", "model"]],
  },
  swap: {
    doc: "replace one part of a composed model, keeping the others (and their trained weights)",
    yields: "model",
    fields: {
      ...COMMON,
      from: { expect: { is: "model-stage" }, doc: "the stage whose model is changed", required: true },
      replace: { expect: { is: "replace" }, doc: "`old with new`: the part to take out and the model to put in", required: true },
    },
  },
  distill: {
    doc: "a teacher writes chain-of-thought answers, a judge checks them, wrong ones are regenerated",
    yields: "dataset",
    fields: {
      ...COMMON,
      data: { expect: { is: "dataset" }, doc: "prompts", required: true },
      teacher: { expect: { is: "model" }, doc: "the generating model (a model or a stage that trains one)", required: true },
      judge: { expect: { is: "scorer" }, doc: "checks each generated answer" },
      retries: { expect: int(0), doc: "regenerations of a chain the judge rejects", default: "2", value: 2 },
      repetition_penalty: { expect: { is: "row-number" }, doc: "per-row repetition penalty (an expression over row fields)", default: "1.0" },
      max_new_tokens: { expect: int(1, { unit: "count" }), doc: "generation budget", default: "256", value: 256 },
    },
  },
  score: {
    doc: "add score fields to every row, one per scorer",
    yields: "dataset",
    fields: {
      ...COMMON,
      data: { expect: { is: "dataset" }, doc: "rows to score", required: true },
      scores: { expect: { is: "record" }, doc: "{ field: scorer, ... }", required: true },
    },
  },
  command: {
    doc: "an external program, for trainers outside the runtime",
    yields: "files",
    fields: {
      ...COMMON,
      run: { expect: strings, doc: "argv: program and arguments, run without a shell" },
      shell: { expect: { is: "string" }, doc: "a shell command line (instead of run)" },
      inputs: { expect: { is: "inputs" }, doc: "files, datasets and stages the command reads" },
      outputs: { expect: strings, doc: "files the command writes, captured into the cache" },
      env: { expect: { is: "record" }, doc: "extra environment variables" },
      cwd: { expect: { is: "string" }, doc: "working directory" },
      seed: { expect: int(0), doc: "passed to the command as STAGECRAFT_SEED; only when written here, so a pipeline seed does not rerun commands" },
    },
    oneOf: [["run", "shell"]],
    exclusive: [["run", "shell"]],
  },
};

export const PIPELINE_SETTINGS: Readonly<Record<string, FieldSpec>> = {
  seed: { expect: int(0), doc: "default seed for every stage", default: "0" },
  cluster: {
    expect: {
      is: "record",
      fields: {
        gpu: { expect: { is: "string" }, doc: "GPU type, for cost estimates (\"H100-80GB\")" },
        count: { expect: int(1), doc: "GPUs" },
        mfu: { expect: pos({ max: 1 }), doc: "model FLOP utilisation assumed" },
        peak_tflops: { expect: pos(), doc: "peak dense bf16 TFLOP/s per GPU, when the GPU type is not known" },
      },
    },
    doc: "hardware assumed by `plan`'s cost estimate",
  },
  resources: { expect: { is: "record", fields: RESOURCES }, doc: "default scheduler resources for every stage" },
  backend: { expect: { is: "string", oneOf: ["auto", "tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"] }, doc: "training backend", default: "auto" },
};

/** Field names people bring from other trainers (TRL, Hugging Face, DeepSpeed), mapped to ours. */
const FIELD_ALIASES: Readonly<Record<string, string | readonly string[]>> = {
  max_tokens: ["max_new_tokens", "max_completion"], generation_length: ["max_new_tokens", "max_completion"],
  learning_rate: "lr", lr_scheduler: "lr", lr_schedule: "lr", scheduler: "lr",
  max_seq_length: "context", max_length: "context", seq_len: "context", context_length: "context", max_seq_len: "context",
  batch_size: "batch", per_device_train_batch_size: "batch", train_batch_size: "batch", global_batch_size: "batch",
  num_epochs: "epochs", num_train_epochs: "epochs", epoch: "epochs",
  max_steps: "steps", num_steps: "steps", train_steps: "steps",
  num_generations: "group", group_size: "group", beta: "kl", kl_coef: "kl", epsilon: "clip", cliprange: "clip",
  max_completion_length: "max_completion", max_new_tokens: ["max_new_tokens", "max_completion"],
  max_grad_norm: "grad_clip", gradient_clipping: "grad_clip", clip_grad_norm: "grad_clip",
  trainable: "train", trainable_parts: "train", freeze: "train", init: "from", base: "from", base_model: "from",
  dataset: "data", train_data: "data", train_dataset: "data", reward_fn: "reward", reward_funcs: "reward",
  save_steps: "checkpoint_every", checkpoint_steps: "checkpoint_every",
};

/** A did-you-mean for an unknown field: a known alias, a close spelling, or the list of fields. */
export function fieldSuggestion(name: string, fields: readonly string[]): string {
  if (name === "warmup_ratio" || name === "warmup_steps" || name === "warmup") {
    return "warm-up is part of the schedule: lr = warmup(3%) then cosine(from: 2e-4)";
  }
  const aliases = FIELD_ALIASES[name];
  const alias = (typeof aliases === "string" ? [aliases] : aliases ?? []).find((a) => fields.includes(a));
  if (alias) return `this field is called '${alias}' here`;
  const close = didYouMean(name, fields);
  return close ?? `fields: ${fields.join(", ")}`;
}

export function article(word: string): string {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}

/** The default value of a stage kind's field, as the runtime applies it (see FieldSpec.value). */
export function fieldDefault(kind: string, field: string): number | string {
  const v = STAGE_KINDS[kind]?.fields[field]?.value;
  if (v === undefined) throw new Error(`${kind}.${field} has no default value`);
  return v;
}
