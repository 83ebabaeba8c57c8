/**
 * Digit glyphs for the synthetic image data: fixed 8×8 bitmaps of 0–9, drawn with a ±1 pixel shift
 * and seeded noise. Images are flat row-major arrays of GLYPH_SIDE² grey values in [0, 1], which is
 * what `vision_encoder(image: 8, ...)` reads (one channel). Each glyph sits in the middle 6×6 with a
 * one-pixel margin, so a shift never cuts ink off.
 */
export const GLYPH_SIDE = 8;

const BITMAPS: readonly (readonly string[])[] = [
  ["........", "..####..", ".#....#.", ".#....#.", ".#....#.", ".#....#.", "..####..", "........"],
  ["........", "...##...", "..#.#...", "....#...", "....#...", "....#...", "..#####.", "........"],
  ["........", "..####..", ".#....#.", ".....#..", "...##...", "..#.....", ".######.", "........"],
  ["........", ".#####..", "......#.", "..####..", "......#.", "......#.", ".#####..", "........"],
  ["........", "....##..", "...#.#..", "..#..#..", ".######.", ".....#..", ".....#..", "........"],
  ["........", ".######.", ".#......", ".#####..", "......#.", "......#.", ".#####..", "........"],
  ["........", "..####..", ".#......", ".#####..", ".#....#.", ".#....#.", "..####..", "........"],
  ["........", ".######.", "......#.", ".....#..", "....#...", "...#....", "...#....", "........"],
  ["........", "..####..", ".#....#.", "..####..", ".#....#.", ".#....#.", "..####..", "........"],
  ["........", "..####..", ".#....#.", ".#....#.", "..#####.", "......#.", "..####..", "........"],
];

/** The clean glyph of `digit` shifted by (dx, dy): 1 for ink, 0 for background. */
export function cleanGlyph(digit: number, dx = 0, dy = 0): number[] {
  const rows = BITMAPS[digit];
  if (!rows) throw new RangeError(`no glyph for ${digit}`);
  const out = new Array<number>(GLYPH_SIDE * GLYPH_SIDE).fill(0);
  for (let y = 0; y < GLYPH_SIDE; y++) {
    for (let x = 0; x < GLYPH_SIDE; x++) {
      const sx = x - dx;
      const sy = y - dy;
      if (sx >= 0 && sy >= 0 && sx < GLYPH_SIDE && sy < GLYPH_SIDE && rows[sy]![sx] === "#") out[y * GLYPH_SIDE + x] = 1;
    }
  }
  return out;
}

/** A standard normal draw (Box–Muller), from a uniform source in [0, 1). */
export function gaussian(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface DrawnGlyph {
  readonly image: number[];
  readonly dx: number;
  readonly dy: number;
}

/**
 * `digit` drawn with a random shift of -1..1 in each direction, ink a little below 1 and paper a
 * little above 0, plus Gaussian noise of standard deviation `noise`. Values are rounded to two
 * decimals: the rows stay small and their text is the same on every machine.
 */
export function drawGlyph(rand: () => number, digit: number, noise: number): DrawnGlyph {
  const dx = Math.floor(rand() * 3) - 1;
  const dy = Math.floor(rand() * 3) - 1;
  const image = cleanGlyph(digit, dx, dy).map((ink) => {
    const base = ink ? 1 - 0.15 * rand() : 0.15 * rand();
    const v = Math.min(1, Math.max(0, base + noise * gaussian(rand)));
    return Math.round(v * 100) / 100;
  });
  return { image, dx, dy };
}

/**
 * How well `image` matches its best clean glyph over every digit and shift: 1 for a perfect match,
 * falling with the mean absolute difference. A stand-in for a judge looking at the picture.
 */
export function glyphMatch(image: readonly number[]): { readonly digit: number; readonly match: number } {
  let best = { digit: 0, diff: Infinity };
  for (let d = 0; d < BITMAPS.length; d++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const g = cleanGlyph(d, dx, dy);
        let diff = 0;
        for (let i = 0; i < g.length; i++) diff += Math.abs(g[i]! - (image[i] ?? 0));
        diff /= g.length;
        if (diff < best.diff) best = { digit: d, diff };
      }
    }
  }
  return { digit: best.digit, match: Math.max(0, Math.min(1, 1 - 2 * best.diff)) };
}
