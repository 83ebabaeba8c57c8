import { statSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeJsonl } from "../../../runtime/data/jsonl.js";
import { take, where } from "../../../runtime/data/ops-filter.js";
import { dedupe } from "../../../runtime/data/ops-keys.js";
import type { OpResult } from "../../../runtime/data/op-common.js";
import { bin, f, k, tempDir } from "./helpers.js";

// A forced collection before each sample measures what an op keeps alive, not the garbage that
// happens to be waiting for the collector.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const ROWS = 300_000;
const tmp = tempDir("memory");
const input = tmp.file("big.jsonl");
let size = 0;

beforeAll(async () => {
  await writeJsonl(input, (function* () {
    for (let i = 0; i < ROWS; i++) yield { id: i, key: `k${i % 1000}`, q: i % 5, text: `row ${i} `.padEnd(64, "z") };
  })());
  size = statSync(input).size;
});
afterAll(() => tmp.cleanup());

/** The most live heap above the starting point while `op` runs, sampled every few milliseconds. */
async function peakHeap(op: () => Promise<OpResult>): Promise<{ readonly peak: number; readonly samples: number; readonly result: OpResult }> {
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let samples = 0;
  const timer = setInterval(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    samples++;
  }, 5);
  try {
    const result = await op();
    return { peak, samples, result };
  } finally {
    clearInterval(timer);
  }
}

describe("memory", () => {
  it("the generated file is about 30 MB", () => {
    expect(size).toBeGreaterThan(25e6);
  });

  it("where holds a small part of the file, however many rows pass", async () => {
    const m = await peakHeap(() => where(input, tmp.file("where.jsonl"), bin(">=", f("q"), k(1))));
    expect(m.result.rows).toBe((ROWS * 4) / 5);
    expect(m.samples).toBeGreaterThan(3);
    expect(m.peak).toBeLessThan(size / 3);
  });

  it("take holds a small part of the file", async () => {
    const m = await peakHeap(() => take(input, tmp.file("take.jsonl"), 250_000));
    expect(m.result.rows).toBe(250_000);
    expect(m.samples).toBeGreaterThan(3);
    expect(m.peak).toBeLessThan(size / 3);
  });

  it("dedupe holds the distinct keys, not the rows", async () => {
    const m = await peakHeap(() => dedupe(input, tmp.file("dedupe.jsonl"), "key"));
    expect(m.result.rows).toBe(1000);
    expect(m.samples).toBeGreaterThan(3);
    expect(m.peak).toBeLessThan(size / 3);
  });
});
