import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProgram } from "../../src/format/format.js";
import { parseProgram } from "../../src/syntax/parse-program.js";
import { lexer } from "../../grammar/tokens.js";
import { MUTATIONS, mutate } from "../fuzz/mutate.js";
import { prng } from "../helpers/prng.js";
import { parseClean, stripSpans } from "./helpers.js";

/**
 * Seeded properties over the workflow files: comments, blank lines and line breaks dropped
 * between random tokens must all survive formatting, once and in the same place on a second
 * pass; and mutated files (clean or not) must never make the formatter throw.
 * FORMAT_FUZZ_SEED reproduces or varies a run.
 */
const SEED = Number(process.env["FORMAT_FUZZ_SEED"] ?? 20260311);
const VARIANTS = Number(process.env["FORMAT_FUZZ_VARIANTS"] ?? 150);
const workflows = existsSync("workflows")
  ? readdirSync("workflows")
      .filter((f) => f.endsWith(".sc"))
      .map((f) => ({ name: f, text: readFileSync(`workflows/${f}`, "utf8") }))
      .filter((w) => parseClean(w.text).errors.length === 0)
  : [];

/** Whole-token ranges, from each token's image (the lexer may not record end offsets). */
function tokenRanges(text: string): [number, number][] {
  return lexer.tokenize(text).tokens.map((t) => [t.startOffset, t.startOffset + t.image.length]);
}

const NOISE = ["  # note@\n", "\n# note@\n", "\n\n# note@\n\n", "\n\n\n", "\n", "  ", "\t"];

/** Whitespace and marked comments inserted at token ends; offsets are taken from the end so they stay valid. */
function inject(text: string, ends: readonly number[], rnd: () => number, count: number): { text: string; markers: string[] } {
  const at = Array.from({ length: count }, () => ends[Math.floor(rnd() * ends.length)] ?? 0).sort((a, b) => b - a);
  const markers: string[] = [];
  let out = text;
  at.forEach((pos, i) => {
    const noise = NOISE[Math.floor(rnd() * NOISE.length)]!;
    const marker = `note${i}x`;
    if (noise.includes("@")) markers.push(marker);
    out = out.slice(0, pos) + noise.replace("note@", marker) + out.slice(pos);
  });
  return { text: out, markers };
}

function occurrences(text: string, word: string): number {
  return text.split(word).length - 1;
}

describe.skipIf(workflows.length === 0)(`format fuzz (seed ${SEED})`, () => {
  it(`keeps every comment through ${VARIANTS} re-spaced, commented variants`, () => {
    const rnd = prng(SEED);
    let clean = 0;
    for (let i = 0; i < VARIANTS; i++) {
      const w = workflows[i % workflows.length]!;
      const ends = tokenRanges(w.text).map(([, end]) => end);
      const { text, markers } = inject(w.text, ends, rnd, 1 + Math.floor(rnd() * 8));
      const before = parseClean(text);
      if (before.errors.length > 0) continue;
      clean++;
      const once = formatProgram(before.program, text);
      const after = parseClean(once);
      const where = `${w.name}, variant ${i}`;
      expect(after.errors, where).toEqual([]);
      expect(formatProgram(after.program, once), where).toBe(once);
      expect(stripSpans(after.program.items), where).toEqual(stripSpans(before.program.items));
      for (const m of markers) expect(occurrences(once, m), `${where}: ${m}`).toBe(1);
    }
    // Comments and whitespace between tokens never make a file invalid.
    expect(clean).toBe(VARIANTS);
  }, 120_000);

  it(`never throws on ${VARIANTS} mutated variants, and is canonical on the clean ones`, () => {
    const rnd = prng(SEED + 1);
    for (let i = 0; i < VARIANTS; i++) {
      const w = workflows[i % workflows.length]!;
      const kind = MUTATIONS[Math.floor(rnd() * MUTATIONS.length)]!;
      const text = mutate(w.text, tokenRanges(w.text), kind, rnd);
      const where = `${w.name}, variant ${i} (${kind})`;
      const parsed = parseProgram("main.sc", text);
      let once = "";
      expect(() => {
        once = formatProgram(parsed.program, text);
      }, where).not.toThrow();
      if (parsed.diagnostics.some((d) => d.severity === "error")) continue;
      const again = parseClean(once);
      expect(again.errors, where).toEqual([]);
      expect(formatProgram(again.program, once), where).toBe(once);
      expect(stripSpans(again.program.items), where).toEqual(stripSpans(parsed.program.items));
    }
  }, 120_000);
});
