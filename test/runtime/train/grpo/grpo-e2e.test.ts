import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSafetensors } from "../../../../runtime/train/safetensors.js";
import { cachedResults, cleanup, sc, tempDir, writeTree, type StageResult } from "../../../engine/helpers.js";
import { PIPELINE, glyphRows, textRows, visualRows } from "../stages/fixture.js";

/**
 * GRPO end to end through the CLI: the fixture pipeline's SFT model, then GRPO on the training
 * rows with an accuracy reward, the adapter alone trained, k3 KL on. The run is seeded (pipeline
 * seed 3, wasm backend), so the figures below are those of one fixed run, not of a distribution.
 * The SFT is cut to 80 steps so the starting model leaves room to improve.
 */
const RL = `
reward correct = boxed_answer == answer
stage rl : grpo {
  from = tune
  data = train_rows
  reward = correct
  group = 4
  temperature = 1.0
  max_completion = 32
  batch = 16
  steps = 40
  context = 48
  lr = 1e-3
  kl = 0.01
  train = [adapter]
}
stage test_rl : eval {
  from = rl
  data = test_rows
  max_new_tokens = 32
}
`;
const files = { "p.sc": PIPELINE.replace("steps = 250", "steps = 80") + RL, "glyphs.jsonl": glyphRows(512, 1), "lm.jsonl": textRows(512, 4), "train.jsonl": visualRows(512, 2), "test.jsonl": visualRows(64, 3) };

let dir: string;
let out: Map<string, StageResult>;

beforeAll(async () => {
  dir = tempDir("grpo");
  writeTree(dir, files);
  const r = await sc(dir, ["run", "p.sc", "--backend", "wasm"]);
  if (r.code !== 0) throw new Error(`run failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  console.log(r.stdout.split("\n").filter((l) => /grpo|accuracy/.test(l)).join("\n"));
  out = await cachedResults(dir, "p.sc");
}, 180_000);

afterAll(() => cleanup(dir));

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("grpo", () => {
  it("the mean reward rises over the steps; every step records reward, loss, kl and lr", () => {
    const lines = out.get("rl")!.metrics!.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines).toHaveLength(40);
    for (const m of lines) for (const k of ["reward_mean", "reward_std", "loss", "kl", "lr", "grad_norm"]) expect(Number.isFinite(m[k]), k).toBe(true);
    expect(lines.every((m) => m["kl"]! >= 0)).toBe(true);
    const first = mean(lines.slice(0, 10).map((m) => m["reward_mean"]!));
    const last = mean(lines.slice(-10).map((m) => m["reward_mean"]!));
    const acc = (n: string) => (JSON.parse(readFileSync(out.get(n)!.files.get("metrics.json")!, "utf8")) as { accuracy: number }).accuracy;
    console.log(`mean reward, first 10 steps ${first.toFixed(3)}, last 10 ${last.toFixed(3)}; held-out greedy accuracy ${acc("test")} → ${acc("test_rl")}`);
    console.log(lines.map((m) => m["reward_mean"]!.toFixed(2)).join(" "));
    expect(last).toBeGreaterThan(first + 0.05);
    // Greedy held-out accuracy is already at the ceiling here; GRPO must not lose it.
    expect(acc("test_rl")).toBeGreaterThanOrEqual(acc("test") - 1 / 64);
    expect(new Set(lines.slice(1).map((m) => m["tensors"])).size).toBe(1);
  });

  it("only the adapter changed; the model artifact names the stage", () => {
    const w = (n: string) => {
      const r = decodeSafetensors(readFileSync(out.get(n)!.files.get("model.safetensors")!));
      if (!r.ok) throw new Error(r.error);
      return new Map(r.value.tensors.map((t) => [t.name, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
    };
    const before = w("tune");
    const after = w("rl");
    for (const [n, v] of before) expect(after.get(n)!.equals(v), n).toBe(!n.startsWith("adapter."));
    const meta = decodeSafetensors(readFileSync(out.get("rl")!.files.get("model.safetensors")!));
    expect(meta.ok && meta.value.metadata).toMatchObject({ stage: "rl", step: "40", backend: "wasm" });
  });
});
