import { describe, expect, it } from "vitest";
import { checkText, codes } from "../helpers/check-files.js";

const models = `model proj = mlp(in: 32, out: 64)\nmodel lm = decoder_lm(width: 64, layers: 2, heads: 4, context: 64) frozen\n`;

describe("imports", () => {
  it("brings another file's declarations into scope", () => {
    const r = checkText(`import "lib/models.sc"\ndataset d = synthetic("visual_arith", rows: 10)\nstage a : sft { model = proj >> lm  data = d  lr = 1e-4 }`, { "lib/models.sc": models });
    expect(r.diagnostics).toEqual([]);
  });

  it("with names, brings only those names", () => {
    const r = checkText(`from "lib/models.sc" import proj\ndataset d = synthetic("visual_arith", rows: 10)\nstage a : sft { model = proj >> lm  data = d  lr = 1e-4 }`, { "lib/models.sc": models });
    expect(codes(r)).toEqual(["SC2001"]);
    expect(r.diagnostics[0]!.suggestion).toContain('from "lib/models.sc" import lm');
  });

  it("reports missing files, missing names and cycles", () => {
    expect(codes(checkText(`import "nope.sc"`))).toEqual(["SC2003"]);
    expect(codes(checkText(`from "lib/models.sc" import porj`, { "lib/models.sc": models }))).toEqual(["SC2005"]);
    const r = checkText(`import "a.sc"`, { "a.sc": `import "b.sc"`, "b.sc": `import "a.sc"` });
    expect(codes(r)).toEqual(["SC2004"]);
    expect(r.diagnostics[0]!.message).toContain("a.sc → b.sc → a.sc");
  });
});
