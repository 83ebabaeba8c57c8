import { describe, expect, it } from "vitest";
import { lower } from "../../src/ir/lower.js";
import { checkText } from "../helpers/check-files.js";

function afterOf(text: string): Record<string, string[]> {
  const r = checkText(text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const ir = lower(r.program!, (f) => r.sources.get(f) ?? "");
  return Object.fromEntries([...ir.nodes.values()].filter((n) => n.kind === "stage").map((n) => [n.name, n.after.map((a) => ir.nodes.get(a)!.name)]));
}

describe("after", () => {
  it("runs after the stage an expression names, not after what the expression reads on the way", () => {
    const after = afterOf(`
stage base : command { run = ["true"] }
stage x : command { run = ["true"] }
stage c : command { run = ["true"]  after = [true ? base : x] }
stage d : command { run = ["true"]  after = [[base, x][0]] }
stage e : command { run = ["true"]  after = [(x)] }
for t in 1..3 { stage a_{t} : command { run = ["true"]  after = [t == 1 ? base : a_{t-1}] } }
`);
    expect(after).toEqual({ base: [], x: [], c: ["base"], d: ["base"], e: ["x"], a_1: ["base"], a_2: ["a_1"], a_3: ["a_2"] });
  });
});
