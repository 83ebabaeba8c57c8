import { describe, expect, it } from "vitest";
import type { NodeId } from "../../src/ir/ir.js";
import { lower } from "../../src/ir/lower.js";
import { explainChange } from "../../src/plan/explain.js";
import { fingerprintNode, type FingerprintRecord } from "../../src/plan/fingerprint.js";
import { checkText } from "../helpers/check-files.js";

/** Every node's fingerprint and record, by name, as a plan would make them (no files read). */
function records(text: string): Map<string, { fingerprint: string; record: FingerprintRecord }> {
  const r = checkText(text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const ir = lower(r.program!, () => text);
  const fps = new Map<NodeId, string>();
  const out = new Map<string, { fingerprint: string; record: FingerprintRecord }>();
  for (const id of ir.order) {
    const node = ir.nodes.get(id)!;
    const fp = fingerprintNode(node, ir, fps, {}, "wasm");
    fps.set(id, fp.fingerprint);
    out.set(node.name, fp);
  }
  return out;
}

const fp = (text: string, name: string) => records(text).get(name)!.fingerprint;

const HEAD = `model lm = decoder_lm(width: 16, layers: 1, heads: 2, context: 64)
dataset va = synthetic("visual_arith", rows: 50, seed: 13)
`;
const A = "stage a : pretrain { model = lm  data = va | where quality >= 3  steps = 2  batch = 4  context = 64  lr = 1e-3 }\n";
const B = "stage b : pretrain { model = lm  data = va | where quality >= 3  steps = 3  batch = 4  context = 64  lr = 1e-3 }\n";

describe("what a record calls its inputs", () => {
  it("a data expression two stages share is named after the first, but neither's fingerprint depends on which comes first", () => {
    const ab = records(HEAD + A + B);
    const ba = records(HEAD + B + A);
    // The shared node is named after whichever stage comes first...
    expect([...ab.keys()]).toContain("a.data");
    expect([...ba.keys()]).toContain("b.data");
    // ...and the stages' fingerprints are the same either way.
    expect(ba.get("a")!.fingerprint).toBe(ab.get("a")!.fingerprint);
    expect(ba.get("b")!.fingerprint).toBe(ab.get("b")!.fingerprint);
    // Nor does a stage declared before them that reads the same expression change them.
    const probe = "stage probe : pretrain { model = lm  data = va | where quality >= 3  steps = 1  batch = 4  context = 64  lr = 1e-3 }\n";
    expect(fp(HEAD + probe + A + B, "b")).toBe(ab.get("b")!.fingerprint);
  });

  it("renaming a dataset a training stage reads changes nothing; a command's input is its variable's name, so it reruns, saying so", () => {
    const cmd = `stage c : command { run = ["sh", "-c", "wc -l < $STAGECRAFT_INPUT_VA > c.txt"]  inputs = [va]  outputs = ["c.txt"] }\n`;
    const before = records(HEAD + A + cmd);
    const renamed = HEAD.replace("dataset va", "dataset vb");
    const after = records(renamed + A.replace("va |", "vb |") + cmd.replace("inputs = [va]", "inputs = [vb]"));
    expect(after.get("a")!.fingerprint).toBe(before.get("a")!.fingerprint);
    expect(after.get("c")!.fingerprint).not.toBe(before.get("c")!.fingerprint);
    expect(explainChange(before.get("c")!.record, after.get("c")!.record, () => false)).toEqual(['inputs[0].as: "va" → "vb"']);
  });

  it("a stage that reads another dataset says which it read before", () => {
    const two = `${HEAD}dataset vc = synthetic("visual_arith", rows: 60, seed: 13)\n`;
    const before = records(two + "stage s : pretrain { model = lm  data = va  steps = 2  batch = 4  context = 64  lr = 1e-3 }\n").get("s")!;
    const after = records(two + "stage s : pretrain { model = lm  data = vc  steps = 2  batch = 4  context = 64  lr = 1e-3 }\n").get("s")!;
    expect(explainChange(before.record, after.record, () => false)).toEqual(["reads vc instead of va"]);
    expect(explainChange(before.record, after.record, (n) => n === "vc")).toEqual(["upstream vc will rerun"]);
  });

  it("a stage trained from another keeps its fingerprint when that one is renamed, and says so when it reads another", () => {
    const chain = (first: string, from: string) =>
      `${HEAD}stage ${first} : pretrain { model = lm  data = va  steps = 2  batch = 4  context = 64  lr = 1e-3 }\nstage other : pretrain { model = lm  data = va  steps = 3  batch = 4  context = 64  lr = 1e-3 }\nstage s : sft { from = ${from}  data = va  steps = 2  batch = 4  lr = 1e-3 }\n`;
    const before = records(chain("base", "base")).get("s")!;
    expect(records(chain("start", "start")).get("s")!.fingerprint).toBe(before.fingerprint);
    const switched = records(chain("base", "other")).get("s")!;
    expect(explainChange(before.record, switched.record, () => false)).toEqual(["reads other instead of base"]);
    expect(explainChange(before.record, switched.record, (n) => n === "other")).toEqual(["upstream other will rerun"]);
  });

  it("a record kept by an earlier stagecraft (stage inputs and `after` by name) is compared by name, and an upgrade alone says so", () => {
    const cur: FingerprintRecord = { kind: "stage", op: "sft", impl: 1, params: { from: { stage: "~0" } }, inputs: { "~0": "f1", "~1": "d1" }, names: { "~0": "base", "~1": "va" }, after: ["f9"], afterNames: ["prep"], files: {} };
    // As read back from a manifest the earlier build wrote (records are stored as JSON).
    const old: FingerprintRecord = { kind: "stage", op: "sft", impl: 1, params: { from: { stage: "~0" } }, inputs: { base: "f1", "~1": "d1" }, names: { "~1": "va" }, after: { prep: "f9" } as unknown as readonly string[], files: {} };
    expect(explainChange(old, cur, () => false)).toEqual(["its last result was recorded by an earlier stagecraft, whose records named inputs instead of numbering them"]);
    expect(explainChange({ ...old, inputs: { base: "f0", "~1": "d1" }, after: { prep: "f8" } as unknown as readonly string[] }, cur, () => false)).toEqual(["input base changed", "prep, which it runs after, changed"]);
  });

  it("renaming a stage another runs after changes nothing; a changed one is named", () => {
    const base = (name: string, echo: string) => `stage ${name} : command { run = ["sh", "-c", "echo ${echo} > a.txt"]  outputs = ["a.txt"] }\nstage later : command { run = ["true"]  after = [${name}] }\n`;
    const before = records(base("make", "x")).get("later")!;
    expect(records(base("build", "x")).get("later")!.fingerprint).toBe(before.fingerprint);
    const changedUp = records(base("make", "y")).get("later")!;
    expect(explainChange(before.record, changedUp.record, () => false)).toEqual(["make, which it runs after, changed"]);
    expect(explainChange(before.record, changedUp.record, (n) => n === "make")).toEqual(["upstream make will rerun"]);
  });
});
