import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkPath, rendered } from "../helpers/check-files.js";
import { expectGolden } from "../helpers/golden.js";

/** Every real pipeline file checks clean, and its expanded stage graph matches its golden file. */
const files = readdirSync("workflows").filter((f) => f.endsWith(".sc")).sort();

describe("workflows", () => {
  it("has the two reference pipelines", () => {
    expect(files).toEqual(expect.arrayContaining(["skywork-r1v.sc", "tiny-r1v.sc"]));
  });

  for (const f of files) {
    it(`${f} checks without errors or warnings`, () => {
      const r = checkPath(`workflows/${f}`);
      expect(rendered(r)).toBe("");
      expect(r.program).toBeDefined();
    });

    it(`${f} expands to the stage graph in its golden file`, () => {
      const r = checkPath(`workflows/${f}`);
      const lines = (r.program?.stages ?? []).map((s) => `${s.inst.name} : ${s.kind}${s.deps.length ? ` <- ${s.deps.map((d) => d.name).join(", ")}` : ""}`);
      expectGolden(`test/fixtures/workflows/${f.replace(/\.sc$/, "")}.stages.txt`, `${lines.join("\n")}\n`);
    });
  }
});
