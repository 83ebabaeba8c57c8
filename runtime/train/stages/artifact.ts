import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type * as tf from "@tensorflow/tfjs-core";
import type { Canon, NodeId } from "../../../src/ir/ir.js";
import type { ProducedFile, RunnerContext } from "../../runner.js";
import { Composed, createPart, tokenizer, type BuiltinPart, type DecoderLm, type Mlp, type VisionEncoder } from "../models/index.js";
import { assignWeights, loadWeights, saveWeights } from "../safetensors.js";
import { derivedSeed, obj, refOf } from "./params.js";

/**
 * The model artifact a model-yielding stage writes: `model.json` (the architecture, so a later
 * stage rebuilds the same parts) and `model.safetensors` (every weight as "part.param", with the
 * stage, step, fingerprint and backend in its metadata).
 */
export const MODEL_JSON = "model.json";
export const MODEL_WEIGHTS = "model.safetensors";

export interface PartSpec {
  /** The declared model name the part came from ("enc", "adapter"); the prefix of its weight names. */
  readonly name: string;
  /** The constructor: vision_encoder, mlp or decoder_lm. */
  readonly kind: BuiltinPart["kind"];
  /** Its arguments with every default filled in. */
  readonly args: Readonly<Record<string, number>>;
  readonly frozen: boolean;
}

export interface ModelJson {
  readonly format: "stagecraft-model";
  readonly version: 1;
  readonly stage: string;
  readonly backend: string;
  readonly fingerprint: string;
  /** In composition order: encoder, adapter, LM. */
  readonly parts: readonly PartSpec[];
  readonly tokenizer: { readonly kind: "char"; readonly vocab: number; readonly pad: number; readonly bos: number; readonly eos: number; readonly unk: number };
  readonly weights: string;
}

export interface NamedPart {
  readonly name: string;
  readonly part: BuiltinPart;
  readonly frozen: boolean;
}

/** A model as stages hold it: its parts in order, one of them alone or encoder >> adapter >> LM. */
export class Model {
  constructor(readonly parts: readonly NamedPart[]) {
    const names = parts.map((p) => p.name);
    if (new Set(names).size !== names.length) throw new Error(`a model cannot hold two parts named the same: ${names.join(", ")}`);
  }

  /** The composition, when the parts are an encoder, an adapter and an LM in that order. */
  composed(): Composed | undefined {
    const [e, a, l] = this.parts;
    if (this.parts.length !== 3 || e?.part.kind !== "vision_encoder" || a?.part.kind !== "mlp" || l?.part.kind !== "decoder_lm") return undefined;
    return new Composed(e.part as VisionEncoder, a.part as Mlp, l.part as DecoderLm, { encoder: e.name, adapter: a.name, lm: l.name });
  }

  only<K extends BuiltinPart["kind"]>(kind: K): Extract<BuiltinPart, { kind: K }> | undefined {
    const p = this.parts.length === 1 ? this.parts[0]!.part : undefined;
    return p?.kind === kind ? (p as Extract<BuiltinPart, { kind: K }>) : undefined;
  }

  /** Every weight under "part.param", in part order; only those of the parts named, when given. */
  namedParams(parts?: readonly string[]): [string, tf.Variable][] {
    return this.parts
      .filter((p) => !parts || parts.includes(p.name))
      .flatMap((p) => p.part.params.entries().map(([n, v]): [string, tf.Variable] => [`${p.name}.${n}`, v]));
  }

  /**
   * Makes the parts named the trainable ones (the others frozen: no weight gradients) and returns
   * their weights under safetensors names, in a fixed order (the optimizer's), and those weight
   * decay applies to.
   */
  train(parts: readonly string[]): { readonly named: [string, tf.Variable][]; readonly decayed: tf.Variable[] } {
    for (const x of this.parts) x.part.params.setFrozen(!parts.includes(x.name));
    const decayed = this.parts.filter((x) => parts.includes(x.name)).flatMap((x) => x.part.params.decayed());
    return { named: this.namedParams(parts), decayed };
  }

  describe(): string {
    return this.parts.map((p) => `${p.name} (${p.part.kind})`).join(" >> ");
  }

  dispose(): void {
    for (const p of this.parts) p.part.params.dispose();
  }
}

function specOf(p: NamedPart): PartSpec {
  return { name: p.name, kind: p.part.kind, args: { ...p.part.config } as Record<string, number>, frozen: p.frozen };
}

/** Reads the model a stage wrote. */
export async function loadModel(files: ReadonlyMap<string, string>, what: string): Promise<Model> {
  const jsonFile = files.get(MODEL_JSON);
  const weightsFile = files.get(MODEL_WEIGHTS);
  if (!jsonFile || !weightsFile) throw new Error(`${what} produced no model (${MODEL_JSON} and ${MODEL_WEIGHTS})`);
  const spec = JSON.parse(await readFile(jsonFile, "utf8")) as ModelJson;
  if (spec.format !== "stagecraft-model" || spec.version !== 1) throw new Error(`${what}: ${MODEL_JSON} is not a stagecraft model (version 1)`);
  const parts = spec.parts.map((s) => ({ name: s.name, part: createPart(s.kind, s.args, 0), frozen: s.frozen }));
  const model = new Model(parts);
  const w = await loadWeights(weightsFile);
  const assigned = w.ok ? assignWeights(model.namedParams(), w.value) : w;
  if (!assigned.ok) {
    model.dispose();
    throw new Error(`${what}: ${assigned.error}`);
  }
  return model;
}

/**
 * The model a lowered value describes: `{compose: [...]}`, a declared part `{model, def, frozen}`
 * (created fresh, seeded from the pipeline seed and its name) or `{stage: id}` (loaded).
 */
export async function resolveModel(v: Canon | undefined, ctx: RunnerContext): Promise<Model> {
  const parts: NamedPart[] = [];
  const walk = async (x: Canon | undefined): Promise<void> => {
    const o = obj(x);
    if (Array.isArray(o["compose"])) {
      for (const y of o["compose"] as Canon[]) await walk(y);
      return;
    }
    const stage = refOf(x, "stage");
    if (stage) {
      parts.push(...(await loadStageModel(stage, ctx)).parts);
      return;
    }
    if (typeof o["model"] === "string") {
      const def = obj(o["def"]);
      if (typeof def["call"] !== "string") return walk(def);
      parts.push({ name: o["model"], part: createPart(def["call"], obj(def["args"]), derivedSeed(ctx.ir.pipeline.seed, o["model"])), frozen: o["frozen"] === true });
      return;
    }
    throw new Error(`cannot build a model from ${JSON.stringify(x)}`);
  };
  await walk(v);
  if (parts.length === 0) throw new Error("the model has no parts");
  return new Model(parts);
}

export function loadStageModel(id: NodeId, ctx: RunnerContext): Promise<Model> {
  return loadModel(ctx.outputs(id), `stage ${ctx.ir.nodes.get(id)?.name ?? id}`);
}

/** The model a training stage starts from: `from` (a stage) or `model`. */
export function startingModel(p: Readonly<Record<string, Canon>>, ctx: RunnerContext): Promise<Model> {
  return resolveModel(p["from"] ?? p["model"], ctx);
}

export interface SaveMeta {
  readonly stage: string;
  readonly step: number;
  readonly fingerprint: string;
  readonly backend: string;
}

/** Writes model.json and model.safetensors into `dir`. */
export async function saveModel(dir: string, model: Model, meta: SaveMeta): Promise<ProducedFile[]> {
  const spec: ModelJson = {
    format: "stagecraft-model", version: 1, stage: meta.stage, backend: meta.backend, fingerprint: meta.fingerprint,
    parts: model.parts.map(specOf),
    tokenizer: { kind: "char", vocab: tokenizer.VOCAB_SIZE, pad: tokenizer.PAD, bos: tokenizer.BOS, eos: tokenizer.EOS, unk: tokenizer.UNK },
    weights: MODEL_WEIGHTS,
  };
  const json = path.join(dir, MODEL_JSON);
  const weights = path.join(dir, MODEL_WEIGHTS);
  await writeFile(json, JSON.stringify(spec, null, 2) + "\n");
  await saveWeights(weights, model.namedParams(), { ...meta, parts: model.parts.map((p) => p.name).join(",") });
  return [{ name: MODEL_JSON, path: json }, { name: MODEL_WEIGHTS, path: weights }];
}
