import { DecoderLm, type DecoderConfig } from "./decoder.js";
import { Mlp, type MlpConfig } from "./mlp.js";
import { VOCAB_SIZE } from "./tokenizer.js";
import { VisionEncoder, type VisionConfig } from "./vision.js";

export { compose, Composed, type PartLabels, type Role } from "./compose.js";
export { DecoderLm, causalMask, type DecoderConfig } from "./decoder.js";
export { Mlp, type MlpConfig } from "./mlp.js";
export { ParamSet, crossEntropy, gelu, layerNorm, linear, type Part } from "./params.js";
export * as tokenizer from "./tokenizer.js";
export { VisionEncoder, type VisionConfig } from "./vision.js";

export type BuiltinPart = VisionEncoder | Mlp | DecoderLm;

/**
 * A built-in part from the language's constructor name and its arguments (numbers, as the checker
 * left them): `vision_encoder`, `mlp`, `decoder_lm`. Defaults are the ones src/check/builtins.ts documents.
 */
export function createPart(fn: string, args: Readonly<Record<string, unknown>>, seed: number): BuiltinPart {
  const n = (k: string): number | undefined => (typeof args[k] === "number" ? (args[k] as number) : undefined);
  const req = (k: string): number => {
    const v = n(k);
    if (v === undefined) throw new Error(`${fn} needs ${k}`);
    return v;
  };
  const opt = <K extends string>(k: K): Partial<Record<K, number>> => (n(k) === undefined ? {} : ({ [k]: n(k) } as Record<K, number>));
  switch (fn) {
    case "vision_encoder":
      return new VisionEncoder({ image: req("image"), patch: req("patch"), width: req("width"), ...opt("layers"), ...opt("classes") } satisfies VisionConfig, seed);
    case "mlp":
      return new Mlp({ in: req("in"), out: req("out"), ...opt("hidden"), ...opt("layers") } satisfies MlpConfig, seed);
    case "decoder_lm":
      return new DecoderLm({ vocab: n("vocab") ?? VOCAB_SIZE, width: req("width"), layers: req("layers"), heads: req("heads"), context: req("context") } satisfies DecoderConfig, seed);
    default:
      throw new Error(`'${fn}' is not a built-in architecture`);
  }
}
