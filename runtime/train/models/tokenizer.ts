/**
 * The character vocabulary of the built-in LMs: four special tokens, newline, and printable ASCII.
 * Any other character encodes as <unk>. Fixed, so a model trained in one run reads the same ids in
 * the next, and `decoder_lm` without `vocab` means exactly this size.
 */
export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
const SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>"] as const;
const ALPHABET = "\n" + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
const FIRST = SPECIALS.length;

export const VOCAB_SIZE = FIRST + ALPHABET.length;

const index = new Map<string, number>([...ALPHABET].map((ch, i) => [ch, FIRST + i]));

export interface EncodeOptions {
  readonly bos?: boolean;
  readonly eos?: boolean;
}

export function encode(text: string, opts: EncodeOptions = {}): number[] {
  const ids: number[] = opts.bos ? [BOS] : [];
  for (const ch of text) ids.push(index.get(ch) ?? UNK);
  if (opts.eos) ids.push(EOS);
  return ids;
}

/** Text of `ids`, stopping at the first <eos>; <pad> and <bos> are dropped, <unk> reads as "?". */
export function decode(ids: Iterable<number>): string {
  let s = "";
  for (const id of ids) {
    if (id === EOS) break;
    if (id === PAD || id === BOS) continue;
    s += id >= FIRST && id < VOCAB_SIZE ? ALPHABET[id - FIRST] : "?";
  }
  return s;
}

/**
 * A batch of token rows, right-padded with <pad> (or cut) to `length`: ids [rows·length] and a
 * 0/1 mask marking real tokens, both row-major.
 */
export function padBatch(rows: readonly (readonly number[])[], length: number): { ids: Int32Array; mask: Float32Array } {
  const ids = new Int32Array(rows.length * length);
  const mask = new Float32Array(rows.length * length);
  rows.forEach((row, r) => {
    const n = Math.min(length, row.length);
    for (let i = 0; i < n; i++) {
      ids[r * length + i] = row[i]!;
      mask[r * length + i] = 1;
    }
  });
  return { ids, mask };
}
