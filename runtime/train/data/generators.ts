import { seededRandom } from "../../data/prng.js";
import { writeJsonl } from "../../data/jsonl.js";
import { thinkText, wordedProblem, type Step } from "./arith.js";
import { drawGlyph, gaussian } from "./glyphs.js";

/**
 * The built-in synthetic generators (`synthetic("glyphs", rows: 2K, seed: 11)`). Each is a pure
 * function of (rows, seed): one seeded PRNG stream is consumed row by row, so the same seed gives
 * byte-identical JSONL on every run and machine, and a shorter file is a prefix of a longer one.
 * Row fields are exactly those `GENERATORS` in src/check/builtins.ts lists; all text stays inside
 * the built-in LMs' character vocabulary and well within their context of 128.
 *
 * - glyphs: `image` (8×8 grey, flat, row-major, values in [0, 1]), `label` (the digit, a number).
 * - arith_text: `question` ("What is 7 plus 3?", "How much is 4 times 2?", "6 plus 1 = ?"),
 *   `rationale` ("<think>7 + 3 = 10</think>"), `answer` ("10", a string of digits), `image_text`
 *   ("" here). Half the rows are visual_arith's questions as text: the question asks about "the
 *   digit", `image_text` writes it once per patch of an 8×8 image cut in 4×4 patches ("7777"), and
 *   the rationale starts "digit 7" as visual_arith's does. LM pretraining puts image_text in the
 *   image slot (see runtime/train/stages/examples.ts), so the LM learns to read that slot.
 * - visual_arith: one digit drawn in an 8×8 `image` (what `vision_encoder(image: 8, patch: 4)`
 *   reads); the `question` asks about "the digit" ("How much is the digit plus 3?"), the
 *   other number is in the text; `rationale` "<think>digit 7, 7 + 3 = 10</think>"; `answer` "10"
 *   (the model writes \boxed{10}). Metadata: `clarity` in [0, 1] (1 = least image
 *   noise), `quality` 0..5 (an integer: clarity plus judge noise, so the reward-model thresholds
 *   2..5 keep fewer and cleaner rows), `difficulty` (1 for a sum, 2 for a product).
 */
export type Row = Record<string, unknown>;

/** What a visual_arith row was made from, for tests that recompute its answer. */
export interface VisualRecord {
  readonly digit: number;
  readonly steps: readonly Step[];
  readonly noise: number;
}

type RowMaker = (rand: () => number, id: string) => Row;

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Image noise (the Gaussian's σ) of glyphs and visual_arith rows alike: from nearly clean to hard to read. */
const NOISE = { min: 0.05, max: 0.5 } as const;

const glyphRow: RowMaker = (rand, id) => {
  const label = Math.floor(rand() * 10);
  // As noisy as the visual task: this data teaches the encoder to read its digits.
  const { image } = drawGlyph(rand, label, NOISE.min + (NOISE.max - NOISE.min) * rand());
  return { id, image, label };
};

/** Patches of `vision_encoder(image: 8, patch: 4)`, the encoder for these 8×8 images: image_text writes the digit once per patch. */
export const IMAGE_SLOT_PATCHES = 4;

const arithRow: RowMaker = (rand, id) => {
  if (rand() < 0.5) {
    // The visual task as text: the digit in the image slot, the question about "the digit".
    const digit = Math.floor(rand() * 10);
    const p = wordedProblem(rand, digit, "the digit");
    return { id, question: p.question, rationale: thinkText([`digit ${digit}`], p.steps), answer: String(p.answer), image_text: String(digit).repeat(IMAGE_SLOT_PATCHES) };
  }
  const p = wordedProblem(rand, Math.floor(rand() * 10));
  return { id, question: p.question, rationale: thinkText([], p.steps), answer: String(p.answer), image_text: "" };
};




export function visualArithItem(rand: () => number, id: string): { readonly row: Row; readonly record: VisualRecord } {
  const digit = Math.floor(rand() * 10);
  const noise = NOISE.min + (NOISE.max - NOISE.min) * rand();
  const { image } = drawGlyph(rand, digit, noise);
  const p = wordedProblem(rand, digit, "the digit");
  const clarity = round2(1 - (noise - NOISE.min) / (NOISE.max - NOISE.min));
  // A judge's reading of the row: clarity, blurred by its own noise, on the 0..5 scale.
  const quality = Math.max(0, Math.min(5, Math.round(5 * clarity + 0.6 * gaussian(rand))));
  const row = {
    id,
    image,
    question: p.question,
    answer: String(p.answer),
    rationale: thinkText([`digit ${digit}`], p.steps),
    quality,
    clarity,
    difficulty: p.steps[0]!.op === "*" ? 2 : 1,
  };
  return { row, record: { digit, steps: p.steps, noise } };
}

const MAKERS: Readonly<Record<string, RowMaker>> = {
  glyphs: glyphRow,
  arith_text: arithRow,
  visual_arith: (rand, id) => visualArithItem(rand, id).row,
};

export const GENERATOR_NAMES: readonly string[] = Object.keys(MAKERS);

/**
 * The random stream of one generator and seed. The name is mixed in, so `glyphs` and
 * `visual_arith` under one seed do not draw the same numbers (and correlated data).
 */
function streamOf(name: string, seed: number): () => number {
  let salt = 0x811c9dc5;
  for (const ch of name) salt = Math.imul(salt ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const mixed = (Math.floor(seededRandom(seed)() * 2 ** 53) + salt) % 2 ** 53;
  return seededRandom(mixed);
}

/** Row ids: unique in a file, and distinct between the seeds of one generator. */
export const rowId = (name: string, seed: number, i: number): string => `${name}-${seed}-${i}`;

/** The rows of a generator, lazily. Throws a RangeError at once for an unknown generator or a bad count. */
/** Options every generator takes: `rationale: false` leaves out the worked steps (the problems stay the same). */
export interface GenerateOptions {
  readonly rationale?: boolean;
}

export function generate(name: string, rows: number, seed: number, opts: GenerateOptions = {}): AsyncIterable<Row> {
  const it = generateSync(name, rows, seed, opts);
  return (async function* () {
    yield* it;
  })();
}

/** The same rows, synchronously (the writer and in-memory callers). Checks its arguments at the call. */
export function generateSync(name: string, rows: number, seed: number, opts: GenerateOptions = {}): Iterable<Row> {
  const make = MAKERS[name];
  if (!make) throw new RangeError(`unknown generator "${name}" (the built-in ones are ${GENERATOR_NAMES.join(", ")})`);
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`a row count must be a whole number from 0, not ${rows}`);
  const rand = streamOf(name, seed);
  return (function* () {
    for (let i = 0; i < rows; i++) {
      const row = make(rand, rowId(name, seed, i));
      if (opts.rationale === false) delete row["rationale"];
      yield row;
    }
  })();
}

/** visual_arith rows with the records they were made from, in the order `generate` yields them. */
export function* visualArithRecords(rows: number, seed: number): Generator<{ readonly row: Row; readonly record: VisualRecord }> {
  const rand = streamOf("visual_arith", seed);
  for (let i = 0; i < rows; i++) yield visualArithItem(rand, rowId("visual_arith", seed, i));
}

/** Writes a generator's rows to `path` as JSONL (atomically); returns the number written. */
export function writeGenerated(name: string, rows: number, seed: number, path: string, opts: GenerateOptions = {}): Promise<number> {
  return writeJsonl(path, generateSync(name, rows, seed, opts));
}
