/**
 * A seeded PRNG (sfc32, seeded through splitmix32) for sampling. Math.random cannot be seeded,
 * and a sample must be the same rows for the same seed on every run and machine, or a cached
 * stage and a rerun would train on different data.
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`a seed must be a whole number from 0, not ${seed}`);
  // Both halves of the seed feed the state, so seeds that differ only above 2^32 still differ.
  let s = splitmix32((seed >>> 0) ^ 0x9e3779b9);
  const words: number[] = [];
  for (const half of [Math.floor(seed / 2 ** 32), seed >>> 0, 0x243f6a88, 0x85a308d3]) {
    s = splitmix32((s + half) >>> 0);
    words.push(s);
  }
  let [a, b, c, d] = words as [number, number, number, number];
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Let the state mix before the first draw; small seeds start close together otherwise.
  for (let i = 0; i < 12; i++) next32();
  // 53 random bits, so uniform integers stay unbiased well past 2^32 rows.
  return () => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53;
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
