import { describe, expect, it } from "vitest";
import { lower } from "../../src/ir/lower.js";
import { checkText } from "../helpers/check-files.js";

// A command that names another command's declared output runs after it, whether or not the file
// says `after`: lowering links them (linkCommandOutputs).
function afterOf(text: string): Record<string, string[]> {
  const r = checkText(text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const ir = lower(r.program!, (f) => r.sources.get(f) ?? "");
  return Object.fromEntries([...ir.nodes.values()].filter((n) => n.op === "command").map((n) => [n.name, n.after.map((a) => ir.nodes.get(a)!.name)]));
}

describe("commands that read another command's output", () => {
  it("run after the command that writes it, however the path is spelled", () => {
    const after = afterOf(`
stage make : command { run = ["touch", "out/a.txt"]  outputs = ["out/a.txt"] }
stage plain : command { run = ["cat", "out/a.txt"] }
stage dotted : command { run = ["cat", "./out/../out/a.txt"] }
stage declared : command { run = ["wc"]  inputs = ["out/a.txt"] }
stage subdir : command { run = ["cat", "a.txt"]  cwd = "out" }
stage other : command { run = ["cat", "elsewhere/a.txt", "touch"] }
stage explicit : command { run = ["cat", "out/a.txt"]  after = [make] }
`);
    expect(after).toEqual({ make: [], plain: ["make"], dotted: ["make"], declared: ["make"], subdir: ["make"], other: [], explicit: ["make"] });
  });
});

describe("after = [expression]", () => {
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
