import { describe, expect, it } from "vitest";
import { checkText, codes } from "../helpers/check-files.js";

const base = `
model enc = vision_encoder(image: 8, patch: 4, width: 32) frozen
model proj = mlp(in: 32, out: 64)
model lm = decoder_lm(width: 64, layers: 2, heads: 4, context: 64) frozen
dataset d = synthetic("visual_arith", rows: 1K)
stage a : sft { model = enc >> proj >> lm  data = d  lr = 1e-4 }
`;

describe("names", () => {
  it("suggests the closest declared name", () => {
    const r = checkText(`${base}stage b : sft { from = aa  data = d  lr = 1e-4 }`);
    expect(codes(r)).toEqual(["SC2001"]);
    expect(r.diagnostics[0]!.suggestion).toBe("did you mean 'a'?");
  });

  it("in a file with thousands of unknown names, the first get suggestions and the rest are still reported", () => {
    // Each suggestion compares with every name: past a budget the rest come without one, so such a
    // file is checked in seconds rather than minutes.
    const lines = Array.from({ length: 5000 }, (_, i) => `param alpha_${i} = 1\nparam b_${i} = alpha_${i}x`).join("\n");
    const r = checkText(lines);
    const unknown = r.diagnostics.filter((d) => d.code === "SC2001");
    expect(unknown).toHaveLength(5000);
    expect(unknown[0]!.suggestion).toBe("did you mean 'alpha_0'?");
    expect(unknown.at(-1)!.suggestion).toBeUndefined();
  });

  it("never suggests the declaration the unknown name is written in", () => {
    const r = checkText(`${base}stage s : sft { model = m  data = d  lr = 1e-4 }`);
    expect(codes(r)).toEqual(["SC2001"]);
    expect(r.diagnostics[0]!.suggestion ?? "").not.toContain("'s'");
  });

  it("reports duplicates with the first declaration as related", () => {
    const r = checkText(`${base}dataset d = synthetic("glyphs", rows: 10)`);
    expect(codes(r)).toEqual(["SC2002"]);
    expect(r.diagnostics[0]!.related).toHaveLength(1);
  });
});

describe("kinds of references", () => {
  it("from must name a stage, not a declared model", () => {
    const r = checkText(`${base}stage b : sft { from = proj  data = d  lr = 1e-4 }`);
    expect(codes(r)).toEqual(["SC2101"]);
    expect(r.diagnostics[0]!.suggestion).toContain("model = ...");
  });

  it("from cannot name an eval stage", () => {
    const r = checkText(`${base}stage e : eval { from = a  data = d }\nstage b : sft { from = e  data = d  lr = 1e-4 }`);
    expect(codes(r)).toEqual(["SC2101"]);
  });

  it("train names parts of the stage's model, and not frozen ones", () => {
    expect(codes(checkText(`${base}stage b : sft { from = a  data = d  lr = 1e-4  train = [projj] }`))).toEqual(["SC2001"]);
    expect(codes(checkText(`${base}model other = mlp(in: 1, out: 1)\nstage b : sft { from = a  data = d  lr = 1e-4  train = [other] }`))).toEqual(["SC2011"]);
    expect(codes(checkText(`${base}stage b : sft { from = a  data = d  lr = 1e-4  train = [lm] }`))).toEqual(["SC2112"]);
  });

  it("lr is a number or a schedule", () => {
    expect(codes(checkText(`${base}schedule s = warmup(3%) then cosine(from: 1e-3)\nstage b : sft { from = a  data = d  lr = s }`))).toEqual([]);
    expect(codes(checkText(`${base}stage b : sft { from = a  data = d  lr = d }`))).toEqual(["SC2101"]);
  });

  it("a reward is numeric or boolean", () => {
    expect(codes(checkText(`${base}reward r = "good"`))).toContain("SC2106");
    const ok = checkText(`${base}reward acc = boxed_answer == answer\nreward r = 1.0 * acc + 0.5 * matches(/<think>/)\nstage g : grpo { from = a  data = d  lr = 1e-6  reward = r }`);
    expect(ok.diagnostics).toEqual([]);
  });

  it("checks the fields a reward reads against the data of the stage using it", () => {
    const r = checkText(`${base}reward acc = boxed_answer == answr\nstage g : grpo { from = a  data = d  lr = 1e-6  reward = acc }`);
    expect(codes(r)).toEqual(["SC2009"]);
    expect(r.diagnostics[0]!.suggestion).toBe("did you mean 'answer'?");
  });

  it("reports a cycle once, with one related location per edge", () => {
    const r = checkText(`${base}stage x : sft { from = z  data = d  lr = 1e-4 }\nstage y : sft { from = x  data = d  lr = 1e-4 }\nstage z : sft { from = y  data = d  lr = 1e-4 }`);
    expect(codes(r)).toEqual(["SC3002"]);
    expect(r.diagnostics[0]!.related).toHaveLength(3);
    expect(r.diagnostics[0]!.message).toMatch(/x → z → y → x|y → x → z → y|z → y → x → z/);
  });
});

describe("numbers", () => {
  it("checks ranges and units", () => {
    expect(codes(checkText(`${base}schedule s = warmup(3) then cosine(from: 1e-3)`))).toEqual(["SC2103"]);
    expect(codes(checkText(`${base}stage b : sft { from = a  data = d  lr = 1e-4  batch = 5% }`))).toEqual(["SC2103"]);
    expect(codes(checkText(`${base}stage b : grpo { from = a  data = d  lr = 1e-4  reward = 1  group = 1  temperature = 0 }`))).toEqual(["SC2102", "SC2102"]);
  });

  it("rejects take beyond the declared rows", () => {
    expect(codes(checkText(`${base}dataset big = d | take(2K)`))).toEqual(["SC2108"]);
    expect(codes(checkText(`${base}dataset part = d | take(50%)\nstage b : eval { from = a  data = part }`))).toEqual([]);
  });
});

describe("row fields", () => {
  it("a where reads fields the source declares or a score adds", () => {
    expect(codes(checkText(`${base}scorer rm = rule("quality")\ndataset x = d | score(rm: rm) | where rm >= 4 and difficulty < 3\nstage b : eval { from = a  data = x }`))).toEqual([]);
    const r = checkText(`${base}dataset x = d | where rm >= 4\nstage b : eval { from = a  data = x }`);
    expect(codes(r)).toEqual(["SC2009"]);
  });

  it("synthetic rows without rationale have no rationale field; distill adds cot_accepted", () => {
    const gen = (worked: string) => `${base}dataset v = synthetic("visual_arith", rows: 10${worked})\ndataset x = v | where rationale != ""\nstage b : eval { from = a  data = x }`;
    expect(codes(checkText(gen("")))).toEqual([]);
    expect(codes(checkText(gen(", rationale: true")))).toEqual([]);
    const r = checkText(gen(", rationale: false"));
    expect(codes(r)).toEqual(["SC2009"]);
    expect(r.diagnostics[0]!.message).toContain("'rationale'");
    const kept = `${base}model t = decoder_lm(width: 64, layers: 1, heads: 4, context: 64)\ndataset x = d | distill(teacher: t) | where cot_accepted and cot_attempts < 3\nstage b : eval { from = a  data = x }`;
    expect(codes(checkText(kept))).toEqual([]);
    // The distill stage's rows have the same fields as the transform's.
    const stage = `${base}stage ds : distill { data = d  teacher = a }\nstage b : eval { from = a  data = ds | where cot_accepted and cot_attempts < 3 }`;
    expect(codes(checkText(stage))).toEqual([]);
  });

  it("a penalty reads fields of the rows it is computed on", () => {
    const r = checkText(`${base}model t = decoder_lm(width: 64, layers: 1, heads: 4, context: 64)\nscorer q = rule("qdam")\ndataset x = d | score(s_v: q.s_v) | distill(teacher: t, repetition_penalty: 1 + s_v + s_t)\nstage b : eval { from = a  data = x }`);
    expect(codes(r)).toEqual(["SC2009"]);
    expect(r.diagnostics[0]!.message).toContain("'s_t'");
  });
});

describe("unused declarations", () => {
  it("are warned about only when the file has no errors, since an error can hide a use", () => {
    const base2 = `${base}stage e : eval { from = a  data = d }\n`;
    expect(codes(checkText(`${base2}param unused = 3`))).toEqual(["SC2013"]);
    expect(codes(checkText(`${base2}param unused = 3\nstage f : eval { from = nope  data = d }`))).toEqual(["SC2001"]);
    expect(codes(checkText(`${base2}param n = 2\nfor t in 1..n { stage g_{t} : eval { from = a  data = d } }`))).toEqual([]);
  });
});
