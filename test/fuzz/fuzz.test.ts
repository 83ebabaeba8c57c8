import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkFile } from "../../src/check/check.js";
import { memoryHost } from "../../src/check/host.js";
import { renderDiagnostics } from "../../src/diagnostics/render.js";
import { prng } from "../helpers/prng.js";
import { MUTATIONS, mutate, tokenRanges } from "./mutate.js";

/**
 * Seeded fuzzing: thousands of mutated variants of the real workflow files (deleted, duplicated and
 * swapped tokens, truncations, random bytes, inserted punctuation). Nothing may throw, and every
 * diagnostic's span must lie inside its file. Set FUZZ_SEED to reproduce or vary a run.
 */
const SEED = Number(process.env["FUZZ_SEED"] ?? 20261129);
const VARIANTS = Number(process.env["FUZZ_VARIANTS"] ?? 5000);
const workflows = readdirSync("workflows").filter((f) => f.endsWith(".sc")).map((f) => ({ name: `workflows/${f}`, text: readFileSync(`workflows/${f}`, "utf8") }));

describe(`fuzz (seed ${SEED})`, () => {
  it(`survives ${VARIANTS} mutated variants of the workflow files`, () => {
    expect(workflows.length).toBeGreaterThan(0);
    const rnd = prng(SEED);
    const ranges = workflows.map((w) => tokenRanges(w.text));
    const counts: Record<string, number> = {};
    for (let i = 0; i < VARIANTS; i++) {
      const wi = i % workflows.length;
      const w = workflows[wi]!;
      let text = w.text;
      const edits = 1 + Math.floor(rnd() * 3);
      const kinds: string[] = [];
      for (let k = 0; k < edits; k++) {
        const kind = MUTATIONS[Math.floor(rnd() * MUTATIONS.length)]!;
        kinds.push(kind);
        text = mutate(text, ranges[wi]!, kind, rnd);
      }
      for (const k of kinds) counts[k] = (counts[k] ?? 0) + 1;
      let result;
      try {
        result = checkFile("main.sc", memoryHost({ "main.sc": text }));
        renderDiagnostics(result.diagnostics, { text: (f) => result!.sources.get(f) });
      } catch (err: unknown) {
        throw new Error(`variant ${i} (${kinds.join("+")} of ${w.name}) threw: ${String(err)}\n--- text ---\n${text.slice(0, 2000)}`);
      }
      for (const d of result.diagnostics) {
        const len = result.sources.get(d.span.file)?.length ?? -1;
        if (d.span.start < 0 || d.span.end > len || d.span.start > d.span.end) {
          throw new Error(`variant ${i}: ${d.code} span ${d.span.start}-${d.span.end} outside 0-${len}`);
        }
        expect(d.code).not.toBe("SC9001");
      }
    }
    for (const k of MUTATIONS) expect(counts[k] ?? 0).toBeGreaterThan(VARIANTS / 20);
  });

  it("survives pathological inputs", () => {
    const inputs = [
      "",
      "\u0000\u0001\u0002",
      "{".repeat(100_000),
      "(".repeat(10_000) + ")".repeat(10_000),
      `dataset x = ${"-".repeat(50_000)}1`,
      `param p = ${"not ".repeat(20_000)}true`,
      `param p = ${"1 ? ".repeat(5_000)}1${" : 1".repeat(5_000)}`,
      '"'.repeat(1001),
      "stage x : sft {".repeat(3000),
      `param p = ${"[".repeat(150)}1${"]".repeat(150)}`,
      "for t in 1..100000000 { stage s_{t} : eval { data = d } }",
      "\ud800\udfff\ufffe",
      "x".repeat(1_000_000),
    ];
    for (const text of inputs) {
      const r = checkFile("main.sc", memoryHost({ "main.sc": text }));
      renderDiagnostics(r.diagnostics, { text: (f) => r.sources.get(f) });
      for (const d of r.diagnostics) {
        expect(d.span.end).toBeLessThanOrEqual(text.length);
        expect(d.code).not.toBe("SC9001");
      }
    }
  });
});
