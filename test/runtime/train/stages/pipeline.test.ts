import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../../../src/cache/store.js";
import type { Digest } from "../../../../src/cache/digest.js";
import type { Canon } from "../../../../src/ir/ir.js";
import { lrAt } from "../../../../src/ir/schedule.js";
import { decodeSafetensors, type Decoded } from "../../../../runtime/train/safetensors.js";
import type { ModelJson } from "../../../../runtime/train/stages/artifact.js";
import { cleanup, planJson, sc, tempDir, writeTree } from "../../../engine/helpers.js";
import { CLASSES, PIPELINE, glyphRows, textRows, visualRows } from "./fixture.js";

/**
 * The training stages end to end through the CLI, in-process: pretrain a vision encoder and an LM
 * (the LM on text with the class in the image slot), SFT only the adapter between them (the
 * recipe's case: encoder and LM frozen), evaluate on
 * held-out rows, re-evaluate the eval's successes, swap the LM. Then the same pipeline again in a
 * second directory, for determinism.
 */
const TEST_ROWS = 64;
const files = { "p.sc": PIPELINE, "glyphs.jsonl": glyphRows(512, 1), "lm.jsonl": textRows(512, 4), "train.jsonl": visualRows(512, 2), "test.jsonl": visualRows(TEST_ROWS, 3) };

interface Outputs {
  readonly files: Map<string, string>;
  readonly metrics?: string;
}

async function outputsOf(dir: string): Promise<Map<string, Outputs>> {
  const plan = await planJson(dir, "p.sc");
  const store = await Store.open(path.join(dir, ".stagecraft"));
  const out = new Map<string, Outputs>();
  for (const n of plan.nodes) {
    if (n.status !== "cached") continue;
    const m = await store.readManifest(n.fingerprint);
    if (!m.ok) continue;
    const metrics = m.manifest.metrics ? readFileSync(store.objectPath(m.manifest.metrics as Digest), "utf8") : undefined;
    out.set(n.name, { files: new Map(m.manifest.outputs.map((o) => [o.name, store.objectPath(o.digest)])), ...(metrics ? { metrics } : {}) });
  }
  return out;
}

const file = (o: Map<string, Outputs>, node: string, name: string): string => {
  const f = o.get(node)?.files.get(name);
  if (!f) throw new Error(`${node} has no output ${name}`);
  return f;
};
const weights = (o: Map<string, Outputs>, node: string): Decoded => {
  const r = decodeSafetensors(readFileSync(file(o, node, "model.safetensors")));
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const tensorsOf = (d: Decoded, prefix: string) => new Map(d.tensors.filter((t) => t.name.startsWith(prefix)).map((t) => [t.name, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
const rowsOf = (f: string) => readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

let a: string;
let b: string;
let first: Map<string, Outputs>;
const seconds: number[] = [];

beforeAll(async () => {
  a = tempDir("train-a");
  b = tempDir("train-b");
  for (const d of [a, b]) {
    writeTree(d, files);
    const t0 = Date.now();
    const r = await sc(d, ["run", "p.sc", "--backend", "wasm"]);
    seconds.push((Date.now() - t0) / 1000);
    if (r.code !== 0) throw new Error(`run failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  first = await outputsOf(a);
  writeFileSync(path.join(a, "timing.txt"), seconds.join(" "));
}, 180_000);

afterAll(() => cleanup(a, b));

describe("training stages", () => {
  it("eval: with only the adapter trained, the joined model answers from the image, well above chance", () => {
    const m = JSON.parse(readFileSync(file(first, "test", "metrics.json"), "utf8")) as { accuracy: number; rows: number; backend: string };
    console.log(`accuracy ${m.accuracy} on ${m.rows} rows; runs took ${seconds.map((s) => s.toFixed(1)).join(" s, ")} s`);
    expect(m.rows).toBe(TEST_ROWS);
    expect(m.backend).toBe("wasm");
    // Chance is 1 in CLASSES (the model must read the glyph to know the answer); an LM pretrained
    // without the image slot stays below it (0.14) when only the adapter trains. Measured: 1.0
    // (1.0 for LM text seeds 4 and 5; with half the LM pretraining, 0.64 and 0.72: the slot is
    // read right, the LM still misreads k).
    expect(m.accuracy).toBeGreaterThanOrEqual(3 / CLASSES);
  });

  it("eval: failures and successes partition its rows, and the data nodes hand them on", () => {
    const fails = rowsOf(file(first, "test", "failures.jsonl"));
    const wins = rowsOf(file(first, "test", "successes.jsonl"));
    expect(fails.length + wins.length).toBe(TEST_ROWS);
    expect(new Set([...fails, ...wins].map((r) => r["id"])).size).toBe(TEST_ROWS);
    expect(fails.every((r) => r["correct"] === false) && wins.every((r) => r["correct"] === true && r["prediction"] === r["answer"])).toBe(true);
    const recheck = JSON.parse(readFileSync(file(first, "recheck", "metrics.json"), "utf8")) as { rows: number };
    expect(recheck.rows).toBe(wins.length);
  });

  it("sft: the encoder and the LM, not in `train`, are bit-identical before and after; the adapter changed", () => {
    for (const [stage, prefix] of [["pre_enc", "enc."], ["pre_lm", "lm."]] as const) {
      const before = tensorsOf(weights(first, stage), prefix);
      const after = tensorsOf(weights(first, "tune"), prefix);
      expect(before.size).toBeGreaterThan(0);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [n, v] of before) expect(after.get(n)!.equals(v), n).toBe(true);
    }
    const adapter = tensorsOf(weights(first, "tune"), "adapter.");
    expect(adapter.size).toBeGreaterThan(0);
    const fresh = tensorsOf(weights(first, "pre_enc"), "adapter.");
    expect(fresh.size).toBe(0);
    const lines = first.get("tune")!.metrics!.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.at(-1)!["loss"]).toBeLessThan(lines[0]!["loss"]! / 4);
  });

  it("swap: the LM is replaced, the encoder and adapter keep their weights", () => {
    const spec = JSON.parse(readFileSync(file(first, "swapped", "model.json"), "utf8")) as ModelJson;
    expect(spec.parts.map((p) => [p.name, p.kind])).toEqual([["enc", "vision_encoder"], ["adapter", "mlp"], ["lm2", "decoder_lm"]]);
    const before = weights(first, "tune");
    const after = weights(first, "swapped");
    for (const prefix of ["enc.", "adapter."]) {
      const x = tensorsOf(before, prefix);
      const y = tensorsOf(after, prefix);
      expect(y.size).toBe(x.size);
      for (const [n, v] of x) expect(y.get(n)!.equals(v), n).toBe(true);
    }
    expect(tensorsOf(after, "lm.").size).toBe(0);
    expect(tensorsOf(after, "lm2.").size).toBeGreaterThan(0);
  });

  it("artifacts: model.json describes the parts, the weights record stage, step, fingerprint and backend", () => {
    const spec = JSON.parse(readFileSync(file(first, "tune", "model.json"), "utf8")) as ModelJson;
    expect(spec).toMatchObject({ format: "stagecraft-model", version: 1, stage: "tune", backend: "wasm", weights: "model.safetensors" });
    expect(spec.parts.map((p) => p.name)).toEqual(["enc", "adapter", "lm"]);
    expect(spec.parts[1]!.args).toMatchObject({ in: 16, out: 32 });
    expect(spec.tokenizer.kind).toBe("char");
    const meta = weights(first, "tune").metadata;
    expect(meta).toMatchObject({ stage: "tune", step: "250", backend: "wasm" });
    expect(meta["fingerprint"]).toMatch(/^[0-9a-f]{16,}/);
  });

  it("metrics: one line a step with loss, lr from the schedule, grad norm, tokens/s; no tensor leaks", () => {
    const lines = first.get("tune")!.metrics!.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines).toHaveLength(250);
    const sched: Canon = { then: [{ call: "warmup", args: { ratio: 0.1 } }, { call: "cosine", args: { from: 3e-3, min: 3e-4 } }] };
    lines.forEach((m, i) => expect(m["lr"]).toBeCloseTo(lrAt(sched, i, 250), 10));
    expect(lines.every((m) => Number.isFinite(m["grad_norm"]) && m["tokens_per_s"]! > 0)).toBe(true);
    expect(new Set(lines.slice(1).map((m) => m["tensors"])).size).toBe(1);
    expect(lines.at(-1)!["loss"]).toBeLessThan(lines[0]!["loss"]!);
  });

  it("run lines carry each stage's result, and a run that restores everything shows them again", async () => {
    const again = await sc(a, ["run", "p.sc", "--backend", "wasm"]);
    expect(again.code).toBe(0);
    const acc = (JSON.parse(readFileSync(file(first, "test", "metrics.json"), "utf8")) as { accuracy: number; correct: number; rows: number });
    const line = `accuracy ${(acc.accuracy * 100).toFixed(1)}% (${acc.correct}/${acc.rows})`;
    expect(again.stderr + again.stdout).toContain(`✓ test cached, ${line}`);
    expect(again.stderr + again.stdout).toMatch(/✓ tune cached, final loss \d+\.\d{3}/);
    expect(again.stderr + again.stdout).toMatch(/done: 0 ran, \d+ restored/);
  });

  it("the same seed and backend give byte-identical adapter weights in a second run", async () => {
    const second = await outputsOf(b);
    const x = tensorsOf(weights(first, "tune"), "adapter.");
    const y = tensorsOf(weights(second, "tune"), "adapter.");
    expect(x.size).toBeGreaterThan(0);
    for (const [n, v] of x) expect(y.get(n)!.equals(v), n).toBe(true);
    expect(readFileSync(file(second, "tune", "model.safetensors")).equals(readFileSync(file(first, "tune", "model.safetensors")))).toBe(true);
  });
});
