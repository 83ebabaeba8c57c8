import { describe, expect, it } from "vitest";
import type { Canon } from "../../src/ir/ir.js";
import { explainChange } from "../../src/plan/explain.js";
import type { FingerprintRecord } from "../../src/plan/fingerprint.js";

function record(over: Partial<FingerprintRecord>): FingerprintRecord {
  return { kind: "stage", op: "sft", impl: 1, params: {}, inputs: {}, files: {}, ...over };
}
const none = () => false;

describe("explainChange", () => {
  it("a stage of another kind says so, not the fields the two kinds do not share", () => {
    const prev = record({ op: "sft", impl: 2, params: { lr: 1e-4, train: [{ def: { call: "mlp" } }] } });
    const cur = record({ op: "pretrain", impl: 1, params: { lr: 1e-4 } });
    expect(explainChange(prev, cur, none)).toEqual(["kind sft → pretrain"]);
    expect(explainChange(record({ kind: "data", op: "union" }), record({ kind: "data", op: "minus" }), none)).toEqual(["transform union → minus"]);
  });

  it("a field set back to its built-in default shows the default, not 'unset'", () => {
    const defaults = (k: string): Canon | undefined => (k === "max_new_tokens" ? 256 : undefined);
    const prev = record({ op: "eval", params: { max_new_tokens: 56 } });
    const cur = record({ op: "eval", params: {} });
    expect(explainChange(prev, cur, none, undefined, defaults)).toEqual(["max_new_tokens: 56 → 256"]);
    expect(explainChange(cur, prev, none, undefined, defaults)).toEqual(["max_new_tokens: 256 → 56"]);
    expect(explainChange(prev, cur, none)).toEqual(["max_new_tokens: 56 → unset"]);
  });

  it("a seed held both as the record's seed and in the params is said once", () => {
    const prev = record({ kind: "data", op: "sample", params: { n: 2, seed: 99 }, seed: 99 });
    const cur = record({ kind: "data", op: "sample", params: { n: 2, seed: 98 }, seed: 98 });
    expect(explainChange(prev, cur, none)).toEqual(["seed 99 → 98"]);
  });

  it("text is shown as written: a regex's backslashes are not doubled", () => {
    const prev = record({ op: "grpo", params: { reward: "matches(/\\\\boxed\\{[^}]+\\}/)" } });
    const cur = record({ op: "grpo", params: { reward: "matches(/\\\\fbox\\{[^}]+\\}/)" } });
    expect(explainChange(prev, cur, none)).toEqual(['reward: "matches(/\\\\boxed\\{[^}]+\\}/)" → "matches(/\\\\fbox\\{[^}]+\\}/)"']);
  });

  it("a command's input is shown by its name, not by its place in the record", () => {
    const prev = record({ op: "command", params: { inputs: [{ data: "~0", as: "a" }] } });
    const cur = record({ op: "command", params: { inputs: ["out1.txt"] } });
    expect(explainChange(prev, cur, none)).toContain('inputs[0]: a → "out1.txt"');
  });

  it("the same inputs in another order are one reason that names both orders", () => {
    const prev = record({ kind: "data", op: "union", inputs: { "~0": "fpR", "~1": "fpS" }, names: { "~0": "r", "~1": "s" } });
    const cur = record({ kind: "data", op: "union", inputs: { "~0": "fpS", "~1": "fpR" }, names: { "~0": "s", "~1": "r" } });
    expect(explainChange(prev, cur, none)).toEqual(["reads its inputs in another order: s, r (was r, s)"]);
  });

  it("an earlier build's record, which named the stages its params refer to, reads as that and nothing else", () => {
    const prev = record({ params: { from: { stage: "init" }, lr: 1e-4 }, inputs: { init: "fpI" } });
    const cur = record({ params: { from: { stage: "~0" }, lr: 1e-4 }, inputs: { "~0": "fpI" }, names: { "~0": "init" } });
    expect(explainChange(prev, cur, none)).toEqual(["its last result was recorded by an earlier stagecraft, whose records named inputs instead of numbering them"]);
    const changed = record({ params: { from: { stage: "~0" }, lr: 2e-4 }, inputs: { "~0": "fpI" }, names: { "~0": "init" } });
    expect(explainChange(prev, changed, none)).toEqual(["lr: 1e-4 → 2e-4"]);
  });

  it("says a reason once, however many ways it was reached", () => {
    const prev = record({ files: { "vl.jsonl": "sha256:1" }, sources: { "~0": { params: { path: "vl.jsonl" }, files: { "vl.jsonl": "sha256:1" } } }, inputs: { "~0": "fpA" }, names: { "~0": "vl" } });
    const cur = record({ files: { "vl.jsonl": "sha256:2" }, sources: { "~0": { params: { path: "vl.jsonl" }, files: { "vl.jsonl": "sha256:2" } } }, inputs: { "~0": "fpB" }, names: { "~0": "vl" } });
    expect(explainChange(prev, cur, none)).toEqual(["input vl.jsonl changed"]);
  });
});
