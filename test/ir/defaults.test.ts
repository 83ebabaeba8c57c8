import { describe, expect, it } from "vitest";
import type { NodeId } from "../../src/ir/ir.js";
import { lower } from "../../src/ir/lower.js";
import { fingerprintNode } from "../../src/plan/fingerprint.js";
import { checkText } from "../helpers/check-files.js";

/** The fingerprint of stage `s` and its lowered params. */
function stage(text: string): { fingerprint: string; params: unknown } {
  const r = checkText(text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const ir = lower(r.program!, () => text);
  const fps = new Map<NodeId, string>();
  for (const id of ir.order) fps.set(id, fingerprintNode(ir.nodes.get(id)!, ir, fps, {}, "wasm").fingerprint);
  const id = ir.stages.get("s")!;
  return { fingerprint: fps.get(id)!, params: ir.nodes.get(id)!.params };
}

const base = (model: string, fields: string, extra = "") => `pipeline p { seed = 7 }
model enc = vision_encoder(image: 8, patch: 4, width: 16)
model lm = decoder_lm(width: 32, layers: 1, heads: 2, context: 64)
model proj = ${model}
dataset d = synthetic("visual_arith", rows: 40, seed: 3)
${extra}stage s : sft { model = enc >> proj >> lm  data = d  train = [proj]  ${fields} }
`;
const MLP = "mlp(in: 16, out: 32)";

describe("writing a default out is leaving it out", () => {
  // seed = 7 is the pipeline's seed.
  it.each(["weight_decay = 0", "lr = constant(1e-3)", "batch = 8  epochs = 1  checkpoint_every = 50", "seed = 7"])("%s", (written) => {
    const plain = stage(base(MLP, "lr = 1e-3"));
    const explicit = stage(base(MLP, written.includes("lr =") ? written : `lr = 1e-3  ${written}`));
    expect(explicit.fingerprint).toBe(plain.fingerprint);
  });

  it("a model argument given its default, computed from the others (mlp's hidden is max(in, out))", () => {
    expect(stage(base("mlp(in: 16, out: 32, hidden: 32, layers: 2)", "lr = 1e-3")).fingerprint).toBe(stage(base(MLP, "lr = 1e-3")).fingerprint);
    expect(stage(base("mlp(in: 16, out: 32, hidden: 64)", "lr = 1e-3")).fingerprint).not.toBe(stage(base(MLP, "lr = 1e-3")).fingerprint);
  });

  it("a value other than the default still counts, and so does a stage seed other than the pipeline's", () => {
    const plain = stage(base(MLP, "lr = 1e-3"));
    expect(stage(base(MLP, "lr = 1e-3  weight_decay = 0.1")).fingerprint).not.toBe(plain.fingerprint);
    expect(stage(base(MLP, "lr = 1e-3  seed = 8")).fingerprint).not.toBe(plain.fingerprint);
  });

  it("a stage that sets a field back to its default over a defaults block gets the default, not the block's value", () => {
    const block = "defaults sft { weight_decay = 0.05 }\n";
    const over = stage(base(MLP, "lr = 1e-3  weight_decay = 0", block));
    expect(over.params).not.toHaveProperty("weight_decay"); // the runtime then applies 0
    expect(over.fingerprint).toBe(stage(base(MLP, "lr = 1e-3")).fingerprint);
    expect(stage(base(MLP, "lr = 1e-3", block)).fingerprint).not.toBe(over.fingerprint);
  });
});
