import { describe, expect, it } from "vitest";
import { foldBinary } from "../../src/ir/fold.js";
import { lower } from "../../src/ir/lower.js";
import { checkText } from "../helpers/check-files.js";

describe("folding == and != before the run", () => {
  it("compares lists and records by content, whatever the order of record keys", () => {
    expect(foldBinary("==", { a: 1, b: [2, 3] }, { b: [2, 3], a: 1 })).toBe(true);
    expect(foldBinary("==", [1, 2], [1, 2])).toBe(true);
    expect(foldBinary("!=", [1, 2], [2, 1])).toBe(true);
    expect(foldBinary("==", { a: 1 }, { a: 2 })).toBe(false);
    expect(foldBinary("==", null, {})).toBe(false);
    expect(foldBinary("==", 2, 2)).toBe(true);
  });

  it("a stage field chosen by comparing records takes the branch the comparison says", () => {
    const r = checkText(`param cfg = { a: 1 }
stage s : command { run = ["echo", cfg == { a: 1 } ? "same" : "different"]  outputs = ["o.txt"] }`);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const ir = lower(r.program!, () => "");
    expect(ir.nodes.get(ir.stages.get("s")!)!.params).toMatchObject({ run: ["echo", "same"] });
  });
});
