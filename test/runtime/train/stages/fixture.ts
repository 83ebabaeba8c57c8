import { seededRandom } from "../../../../runtime/data/prng.js";

/**
 * A miniature of the synthetic task: 8×8 glyphs of four classes (fixed random templates plus
 * noise), and questions whose answer needs the glyph: "d+k?" → label + k. The LM pretrains on the
 * same questions as text, the glyph's class written in the image slot (`image_text`, once per
 * patch: the encoder below cuts 4), so adapter-only SFT has a slot the frozen LM already reads.
 */
export const CLASSES = 4;
const SIDE = 8;

function templates(): number[][] {
  const u = seededRandom(1234);
  return Array.from({ length: CLASSES }, () => Array.from({ length: SIDE * SIDE }, () => (u() < 0.5 ? 1 : 0)));
}

function glyph(label: number, u: () => number, tpl: number[][]): number[] {
  return tpl[label]!.map((x) => Math.round((x + (u() - 0.5) * 0.6) * 1000) / 1000);
}

export function glyphRows(n: number, seed: number): string {
  const u = seededRandom(seed);
  const tpl = templates();
  return Array.from({ length: n }, (_, i) => {
    const label = Math.floor(u() * CLASSES);
    return JSON.stringify({ id: `g${seed}-${i}`, image: glyph(label, u, tpl), label });
  }).join("\n") + "\n";
}

export function visualRows(n: number, seed: number): string {
  const u = seededRandom(seed);
  const tpl = templates();
  return Array.from({ length: n }, (_, i) => {
    const label = Math.floor(u() * CLASSES);
    const k = 1 + Math.floor(u() * 2);
    return JSON.stringify({ id: `v${seed}-${i}`, image: glyph(label, u, tpl), question: `d+${k}?`, rationale: `${label}+${k}=${label + k}`, answer: String(label + k), label });
  }).join("\n") + "\n";
}

/** Patches of `vision_encoder(image: 8, patch: 4)`: the image prefix's length. */
export const PATCHES = 4;

/** The visual task as text for LM pretraining: no image, the class in the image slot. */
export function textRows(n: number, seed: number): string {
  return visualRows(n, seed).split("\n").filter(Boolean).map((l) => {
    const { image: _image, ...r } = JSON.parse(l) as Record<string, unknown>;
    return JSON.stringify({ ...r, image_text: String(r["label"]).repeat(PATCHES) });
  }).join("\n") + "\n";
}

export const PIPELINE = `pipeline tiny {
  seed = 3
}
model enc = vision_encoder(image: 8, patch: 4, width: 16, classes: 4)
model lm = decoder_lm(width: 32, layers: 1, heads: 2, context: 48)
model lm2 = decoder_lm(width: 32, layers: 1, heads: 2, context: 48)
model adapter = mlp(in: enc.width, out: lm.width)

dataset glyphs = jsonl("glyphs.jsonl")
dataset lm_text = jsonl("lm.jsonl")
dataset train_rows = jsonl("train.jsonl")
dataset test_rows = jsonl("test.jsonl")

stage pre_enc : pretrain {
  model = enc
  data = glyphs
  objective = "classify"
  steps = 60
  batch = 32
  lr = 3e-3
}
stage pre_lm : pretrain {
  model = lm
  data = lm_text
  steps = 200
  batch = 16
  context = 48
  lr = 3e-3
}
stage tune : sft {
  model = pre_enc >> adapter >> pre_lm
  data = train_rows
  train = [adapter]
  steps = 250
  batch = 16
  context = 48
  lr = warmup(10%) then cosine(from: 3e-3, min: 3e-4)
  weight_decay = 0.01
  checkpoint_every = 100
}
stage test : eval {
  from = tune
  data = test_rows
  max_new_tokens = 32
}
stage recheck : eval {
  from = tune
  data = test.successes
  max_new_tokens = 32
}
stage swapped : swap {
  from = tune
  replace = lm with lm2
}
`;
