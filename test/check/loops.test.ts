import { describe, expect, it } from "vitest";
import { checkText, codes } from "../helpers/check-files.js";

const base = `
model enc = vision_encoder(image: 8, patch: 4, width: 32) frozen
model proj = mlp(in: 32, out: 64)
model lm = decoder_lm(width: 64, layers: 2, heads: 4, context: 64) frozen
dataset d = synthetic("visual_arith", rows: 1K)
defaults sft { train = [proj] }
stage hybrid_0 : sft { model = enc >> proj >> lm  data = d  lr = 1e-4 }
`;

describe("loops", () => {
  it("expand into per-round stages with the right names and dependencies", () => {
    const r = checkText(`${base}
param rounds = 3
for t in 1..rounds {
  stage eval_{t} : eval { from = hybrid_{t-1}  data = d }
  stage hybrid_{t} : sft { from = hybrid_{t-1}  data = d | where quality >= t + 1 union eval_{t}.failures  lr = t == 1 ? 1e-4 : 2e-5 }
}`);
    expect(r.diagnostics).toEqual([]);
    const stages = r.program!.stages.map((s) => `${s.inst.name}<-${s.deps.map((d) => d.name).sort().join(",")}`);
    expect(stages).toEqual([
      "hybrid_0<-",
      "eval_1<-hybrid_0",
      "hybrid_1<-eval_1,hybrid_0",
      "eval_2<-hybrid_1",
      "hybrid_2<-eval_2,hybrid_1",
      "eval_3<-hybrid_2",
      "hybrid_3<-eval_3,hybrid_2",
    ]);
  });

  it("evaluates per-round values with the round's variable", () => {
    const r = checkText(`${base}
for t in 1..3 { stage s_{t} : sft { from = hybrid_0  data = d  lr = [1e-4, -1, 2e-5][t - 1] } }`);
    // Only round 2 has a negative lr, and the message says which round.
    expect(codes(r)).toEqual(["SC2102"]);
    expect(r.diagnostics[0]!.message).toContain("when t = 2");
  });

  it("reports a reference to a round that does not exist at its span, naming the rounds that do", () => {
    const text = `${base}
for t in 1..2 { stage step_{t} : sft { from = step_{t-1}  data = d  lr = 1e-4 } }`;
    const r = checkText(text);
    expect(codes(r)).toEqual(["SC3001"]);
    const d = r.diagnostics[0]!;
    expect(text.slice(d.span.start, d.span.end)).toBe("step_{t-1}");
    expect(d.message).toContain("'step_0'");
    expect(d.message).toContain("t = 1");
    expect(d.suggestion).toContain("step_1, step_2");
  });

  it("rejects a name every round declares alike", () => {
    const r = checkText(`${base}
for t in 1..2 { stage same : sft { from = hybrid_0  data = d  lr = 1e-4 } }`);
    expect(codes(r)).toEqual(["SC3003"]);
  });

  it("rejects empty and huge ranges, and non-constant bounds", () => {
    expect(codes(checkText(`${base}\nfor t in 3..1 { stage a_{t} : eval { from = hybrid_0  data = d } }`))).toEqual(["SC2111"]);
    expect(codes(checkText(`${base}\nfor t in 1..1M { stage a_{t} : eval { from = hybrid_0  data = d } }`))).toEqual(["SC2111"]);
    expect(codes(checkText(`${base}\nfor t in 1..d { stage a_{t} : eval { from = hybrid_0  data = d } }`))).toEqual(["SC2101"]);
  });

  it("supports nested loops with both variables in names", () => {
    const r = checkText(`${base}
for i in 1..2 { for j in 1..3 { stage e_{i}_{j} : eval { from = hybrid_0  data = d | take(i * j) } } }`);
    expect(r.diagnostics).toEqual([]);
    expect(r.program!.stages.map((s) => s.inst.name)).toContain("e_2_3");
  });

  it("run over a list of rounds, in its order, from a literal or a param", () => {
    const r = checkText(`${base}
param thresholds = [2, 3, 5]
for t in thresholds { stage keep_{t} : eval { from = hybrid_0  data = d | take(t) } }
for u in [7, 1] { stage pick_{u} : eval { from = hybrid_0  data = d | take(u) } }`);
    expect(r.diagnostics).toEqual([]);
    expect(r.program!.stages.map((s) => s.inst.name)).toEqual(["hybrid_0", "keep_2", "keep_3", "keep_5", "pick_7", "pick_1"]);
  });

  it("refuses a list loop over what is not a list of distinct whole numbers, saying which item", () => {
    const one = (over: string) => checkText(`${base}\nfor t in ${over} { stage a_{t} : eval { from = hybrid_0  data = d } }`);
    const number = one("4");
    expect(codes(number)).toEqual(["SC2101"]);
    expect(number.diagnostics[0]!.message).toBe("a loop runs over a range (from..to) or a list of whole numbers, not the number 4");
    expect(number.diagnostics[0]!.suggestion).toBe("for a range write from..to, e.g. 1..4");
    const text = `${base}\nfor t in [1, 2.5] { stage a_{t} : eval { from = hybrid_0  data = d } }`;
    const fraction = checkText(text);
    expect(codes(fraction)).toEqual(["SC2101"]);
    expect(text.slice(fraction.diagnostics[0]!.span.start, fraction.diagnostics[0]!.span.end)).toBe("2.5");
    expect(codes(one(`["a", "b"]`))).toEqual(["SC2101"]);
    expect(codes(one("[2, 3, 2]"))).toEqual(["SC2111"]);
    expect(one("[2, 3, 2]").diagnostics[0]!.message).toContain("has 2 twice");
  });

  it("a loop whose header does not parse is reported once, not again as a bad range", () => {
    for (const header of ["for t in 1 to 4 {", "for t in 1..4 x {"]) {
      const r = checkText(`${base}\n${header}\n  stage a_{t} : eval { from = hybrid_0  data = d }\n}`);
      expect(codes(r), header).toEqual(["SC1003"]);
    }
    // A mistake inside the body leaves the header, and the other rounds' names, alone.
    const r = checkText(`${base}\nfor t in 1..2 {\n  stage a_{t} : eval { from = hybrid_0  data = d }\n  stage b_{t} : eval { from = = }\n}\nstage c : eval { from = hybrid_0  data = a_2.failures }`);
    expect(codes(r)).toEqual(["SC1004"]);
  });
});
