import * as tf from "@tensorflow/tfjs-core";
import { ParamSet, gelu, linear, type Part } from "./params.js";

/** `mlp(in, out, hidden, layers)`: `layers` linear maps in → hidden → … → out, GELU between them (the adapter). */
export interface MlpConfig {
  readonly in: number;
  readonly out: number;
  /** Default max(in, out), as the language documents it. */
  readonly hidden?: number;
  /** Linear layers; default 2. */
  readonly layers?: number;
}

export class Mlp implements Part {
  readonly kind = "mlp" as const;
  readonly params: ParamSet;
  readonly config: Required<MlpConfig>;

  constructor(cfg: MlpConfig, seed: number) {
    const hidden = cfg.hidden ?? Math.max(cfg.in, cfg.out);
    const layers = cfg.layers ?? 2;
    if (!(layers >= 1)) throw new RangeError(`mlp needs at least 1 layer, not ${layers}`);
    this.config = { in: cfg.in, out: cfg.out, hidden, layers };
    this.params = new ParamSet(seed);
    for (let i = 0; i < layers; i++) {
      const fanIn = i === 0 ? cfg.in : hidden;
      const fanOut = i === layers - 1 ? cfg.out : hidden;
      this.params.normal(`layers.${i}.w`, [fanOut, fanIn], 1 / Math.sqrt(fanIn));
      this.params.fill(`layers.${i}.b`, [fanOut], 0);
    }
  }

  /** x [..., in] → [..., out]. */
  apply(x: tf.Tensor): tf.Tensor {
    let h = x;
    for (let i = 0; i < this.config.layers; i++) {
      h = linear(h, this.params.get(`layers.${i}.w`), this.params.get(`layers.${i}.b`));
      if (i < this.config.layers - 1) h = gelu(h);
    }
    return h;
  }
}
