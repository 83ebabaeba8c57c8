import * as tf from "@tensorflow/tfjs-core";
import { ParamSet, gelu, layerNorm, linear, type Part } from "./params.js";

/**
 * `vision_encoder(image, patch, width, layers, classes)`: a square image is cut into patches by
 * reshape and transpose (no convolution: the wasm backend cannot train conv filters), each patch is
 * embedded by one matMul, and `layers` MLP-Mixer blocks mix across patches and across channels.
 * `features` gives one vector per patch (the prefix a composed model feeds its LM); `classify`
 * pools them for the head; pretraining trains the head on every patch (`patchLogits`), so each
 * patch's vector names the class on its own.
 */
export interface VisionConfig {
  readonly image: number;
  readonly patch: number;
  readonly width: number;
  readonly layers?: number;
  readonly classes?: number;
  /** Colour channels of the input; default 1 (grey). */
  readonly channels?: number;
}

export class VisionEncoder implements Part {
  readonly kind = "vision_encoder" as const;
  readonly params: ParamSet;
  readonly config: Required<VisionConfig>;
  /** Patches per image. */
  readonly patches: number;

  constructor(cfg: VisionConfig, seed: number) {
    if (cfg.image % cfg.patch !== 0) throw new RangeError(`patch ${cfg.patch} does not divide image ${cfg.image}`);
    this.config = { layers: 1, classes: 10, channels: 1, ...cfg };
    const { patch, width, layers, classes, channels } = this.config;
    const side = cfg.image / patch;
    this.patches = side * side;
    const p = new ParamSet(seed);
    const pd = patch * patch * channels;
    p.normal("patch.w", [width, pd], 1 / Math.sqrt(pd));
    p.fill("patch.b", [width], 0);
    p.normal("pos", [this.patches, width], 0.02);
    const th = 2 * this.patches;
    for (let i = 0; i < layers; i++) {
      p.fill(`blocks.${i}.ln1.g`, [width], 1);
      p.fill(`blocks.${i}.ln1.b`, [width], 0);
      p.normal(`blocks.${i}.tok.fc.w`, [th, this.patches], 1 / Math.sqrt(this.patches));
      p.fill(`blocks.${i}.tok.fc.b`, [th], 0);
      // no bias here: a per-patch constant is removed by the layer norms that read the stream
      p.normal(`blocks.${i}.tok.proj.w`, [this.patches, th], 1 / Math.sqrt(th));
      p.fill(`blocks.${i}.ln2.g`, [width], 1);
      p.fill(`blocks.${i}.ln2.b`, [width], 0);
      p.normal(`blocks.${i}.ch.fc.w`, [2 * width, width], 1 / Math.sqrt(width));
      p.fill(`blocks.${i}.ch.fc.b`, [2 * width], 0);
      p.normal(`blocks.${i}.ch.proj.w`, [width, 2 * width], 1 / Math.sqrt(2 * width));
      p.fill(`blocks.${i}.ch.proj.b`, [width], 0);
    }
    p.fill("ln.g", [width], 1);
    p.fill("ln.b", [width], 0);
    p.normal("head.w", [classes, width], 1 / Math.sqrt(width));
    p.fill("head.b", [classes], 0);
    this.params = p;
  }

  /** images [B, image, image] or [B, image, image, channels] → patch vectors [B, patches, patch²·channels]. */
  patchify(images: tf.Tensor): tf.Tensor3D {
    const { image, patch, channels } = this.config;
    const b = images.shape[0]!;
    const side = image / patch;
    const x = tf.reshape(images, [b, side, patch, side, patch, channels]);
    return tf.reshape(tf.transpose(x, [0, 1, 3, 2, 4, 5]), [b, this.patches, patch * patch * channels]);
  }

  /** images → one feature vector per patch, [B, patches, width]. */
  features(images: tf.Tensor): tf.Tensor3D {
    const p = (n: string): tf.Variable => this.params.get(n);
    let x = tf.add(linear(this.patchify(images), p("patch.w"), p("patch.b")), p("pos"));
    for (let i = 0; i < this.config.layers; i++) {
      const k = `blocks.${i}`;
      // token mixing: an MLP over the patch axis, applied to each channel
      const t = tf.transpose(layerNorm(x, p(`${k}.ln1.g`), p(`${k}.ln1.b`)), [0, 2, 1]);
      const tm = linear(gelu(linear(t, p(`${k}.tok.fc.w`), p(`${k}.tok.fc.b`))), p(`${k}.tok.proj.w`));
      x = tf.add(x, tf.transpose(tm, [0, 2, 1]));
      // channel mixing: an MLP over the feature axis, applied to each patch
      const c = layerNorm(x, p(`${k}.ln2.g`), p(`${k}.ln2.b`));
      x = tf.add(x, linear(gelu(linear(c, p(`${k}.ch.fc.w`), p(`${k}.ch.fc.b`))), p(`${k}.ch.proj.w`), p(`${k}.ch.proj.b`)));
    }
    return layerNorm(x, p("ln.g"), p("ln.b")) as tf.Tensor3D;
  }

  /** images → class logits [B, classes] (mean over patches, then the head). */
  classify(images: tf.Tensor): tf.Tensor2D {
    return linear(tf.mean(this.features(images), 1), this.params.get("head.w"), this.params.get("head.b")) as tf.Tensor2D;
  }

  /** images → class logits of every patch on its own, [B, patches, classes] (the pretraining loss). */
  patchLogits(images: tf.Tensor): tf.Tensor3D {
    return linear(this.features(images), this.params.get("head.w"), this.params.get("head.b")) as tf.Tensor3D;
  }
}
