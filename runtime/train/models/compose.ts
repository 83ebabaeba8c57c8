import type * as tf from "@tensorflow/tfjs-core";
import type { Mlp } from "./mlp.js";
import type { DecoderLm } from "./decoder.js";
import type { Part } from "./params.js";
import type { VisionEncoder } from "./vision.js";

/**
 * `encoder >> adapter >> lm`: the encoder's patch features go through the adapter, and the result
 * is placed ahead of the LM's token embeddings as prefix embeddings. Which parts train is the
 * stage's choice: a frozen part keeps its weights because its variables are never handed to the
 * optimizer nor to `tf.variableGrads` (gradients still flow through its activations).
 */
export interface PartLabels {
  readonly encoder: string;
  readonly adapter: string;
  readonly lm: string;
}

export type Role = keyof PartLabels;

export class Composed {
  readonly labels: PartLabels;

  constructor(
    readonly encoder: VisionEncoder,
    readonly adapter: Mlp,
    readonly lm: DecoderLm,
    labels: Partial<PartLabels> = {},
  ) {
    this.labels = { encoder: "encoder", adapter: "adapter", lm: "lm", ...labels };
    const a = adapter.config;
    if (a.in !== encoder.config.width) throw new RangeError(`adapter input ${a.in} does not match the encoder width ${encoder.config.width}`);
    if (a.out !== lm.config.width) throw new RangeError(`adapter output ${a.out} does not match the LM width ${lm.config.width}`);
    if (encoder.patches >= lm.config.context) throw new RangeError(`${encoder.patches} image positions leave no room in a context of ${lm.config.context}`);
  }

  /** Prefix positions the image takes in the LM's context. */
  get prefixLength(): number {
    return this.encoder.patches;
  }

  /** Adapter output for images: [B, patches, lm width]. */
  prefix(images: tf.Tensor): tf.Tensor3D {
    return this.adapter.apply(this.encoder.features(images)) as tf.Tensor3D;
  }

  /** Next-token logits [B, T, vocab] for token ids [B, T] after the image prefix. */
  logits(images: tf.Tensor, ids: tf.Tensor): tf.Tensor3D {
    return this.lm.logits(ids, this.prefix(images));
  }

  parts(): [Role, Part][] {
    return [
      ["encoder", this.encoder],
      ["adapter", this.adapter],
      ["lm", this.lm],
    ];
  }

  /** Freeze or unfreeze parts by role. */
  setFrozen(roles: Partial<Record<Role, boolean>>): void {
    for (const [role, part] of this.parts()) {
      const f = roles[role];
      if (f !== undefined) part.params.setFrozen(f);
    }
  }

  /** The variables of the parts that are not frozen, in a fixed order (for the optimizer). */
  trainableVariables(): tf.Variable[] {
    return this.parts().flatMap(([, p]) => (p.params.frozen ? [] : p.params.variables()));
  }

  /** Of those, the ones weight decay applies to. */
  decayedVariables(): tf.Variable[] {
    return this.parts().flatMap(([, p]) => (p.params.frozen ? [] : p.params.decayed()));
  }

  /** Every parameter under "label.local.name" (safetensors names). */
  namedParams(): [string, tf.Variable][] {
    return this.parts().flatMap(([role, p]) => p.params.entries().map(([n, v]): [string, tf.Variable] => [`${this.labels[role]}.${n}`, v]));
  }

  /** The same composition with one part replaced (an LLM swap keeps the encoder and adapter). */
  with(role: Role, part: Part, label?: string): Composed {
    const pick = <T extends Part>(r: Role, cur: T): T => (r === role ? (part as T) : cur);
    return new Composed(pick("encoder", this.encoder), pick("adapter", this.adapter), pick("lm", this.lm), {
      ...this.labels,
      ...(label ? { [role]: label } : {}),
    });
  }
}

export function compose(encoder: VisionEncoder, adapter: Mlp, lm: DecoderLm, labels: Partial<PartLabels> = {}): Composed {
  return new Composed(encoder, adapter, lm, labels);
}
