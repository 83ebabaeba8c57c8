import { describe, expect, it } from "vitest";
import { lower } from "../../src/ir/lower.js";
import { checkText, codes } from "../helpers/check-files.js";

/** Each command stage's run and outputs, as lowering gives them. */
function commands(text: string): Record<string, unknown> {
  const r = checkText(text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const ir = lower(r.program!, () => text);
  return Object.fromEntries([...ir.nodes.values()].filter((n) => n.op === "command").map((n) => [n.name, n.params]));
}

describe("holes in strings inside loops", () => {
  it("fill per round, with arithmetic, in nested loops", () => {
    const c = commands(`for i in 1..2 {
  for j in 0..1 {
    stage cell_{i}_{j} : command { run = ["sh", "run.sh", "--shard={i * 2 + j}"]  outputs = ["out/{i}/{j}.txt", "out/prev_{i-1}_{j}.txt"]  env = { ROUND: "{i}" } }
  }
}`);
    expect(Object.keys(c)).toEqual(["cell_1_0", "cell_1_1", "cell_2_0", "cell_2_1"]);
    expect(c["cell_2_1"]).toMatchObject({ run: ["sh", "run.sh", "--shard=5"], outputs: ["out/2/1.txt", "out/prev_1_1.txt"], env: { ROUND: "2" } });
  });

  it("leave other braces as written: shell and awk code, JSON, format strings, names that are not loop variables", () => {
    const c = commands(`param n = 1
for t in 1..1 {
  stage s_{t} : command { run = ["sh", "-c", "awk '{print $1}' in > o_{t}; echo {n} {0} {x+1} {\\"a\\": 1}"]  outputs = ["o_{t}"] }
}`);
    expect(c["s_1"]).toMatchObject({ run: ["sh", "-c", "awk '{print $1}' in > o_1; echo {n} {0} {x+1} {\"a\": 1}"] });
  });

  it("are plain text outside a loop", () => {
    const c = commands(`stage s : command { run = ["echo", "{t}"]  outputs = ["o.txt"] }`);
    expect(c["s"]).toMatchObject({ run: ["echo", "{t}"] });
  });

  it("report arithmetic that gives no whole number, naming the round", () => {
    const r = checkText(`for t in 1..2 { stage s_{t} : command { run = ["echo", "{t / 2}"]  outputs = ["o_{t}.txt"] } }`);
    expect(codes(r)).toEqual(["SC2102"]);
    expect(r.diagnostics[0]!.message).toContain("when t = 1");
  });
});

describe("one writer per file", () => {
  it("two stages declaring the same output is an error at the second, pointing at the first", () => {
    const r = checkText(`stage a : command { run = ["touch", "x.txt"]  outputs = ["x.txt"] }
stage b : command { run = ["touch", "./x.txt"]  outputs = ["y.txt", "./x.txt"] }`);
    expect(codes(r)).toEqual(["SC2015"]);
    const d = r.diagnostics[0]!;
    expect(d.message).toBe("'./x.txt' is also an output of stage 'a': a file has one writer");
    expect(d.related?.[0]?.message).toBe("'a' declares it here");
  });

  it("a loop that writes one file every round: the suggestion puts the round in the name", () => {
    const r = checkText(`for t in 1..2 { stage s_{t} : command { run = ["touch", "out/count.txt"]  outputs = ["out/count.txt"] } }`);
    expect(codes(r)).toEqual(["SC2015"]);
    expect(r.diagnostics[0]!.suggestion).toBe('inside a loop, put the round in the name: "out/count_{t}.txt"');
  });

  it("the same name under different working directories is two files", () => {
    expect(codes(checkText(`stage a : command { run = ["touch", "x"]  outputs = ["x"]  cwd = "a" }
stage b : command { run = ["touch", "x"]  outputs = ["x"]  cwd = "b" }`))).toEqual([]);
  });
});

describe("outputs stay inside the pipeline's directory", () => {
  it.each([["/tmp/x.txt"], [".."], ["../canary.txt"], ["."], ["a/../../b"]])("'%s' is refused", (out) => {
    const r = checkText(`stage a : command { run = ["touch", "x"]  outputs = [${JSON.stringify(out)}] }`);
    expect(codes(r)).toEqual(["SC2016"]);
  });

  it("a cwd that leaves the directory counts too; a subdirectory is fine", () => {
    expect(codes(checkText(`stage a : command { run = ["touch", "x"]  outputs = ["../x"]  cwd = "sub" }`))).toEqual([]);
    expect(codes(checkText(`stage a : command { run = ["touch", "x"]  outputs = ["x"]  cwd = ".." }`))).toEqual(["SC2016"]);
  });
});

describe("where a hole in a string is reported", () => {
  it("at the hole itself, after escapes earlier in the string", () => {
    const text = `for t in 1..2 { stage s_{t} : command { run = ["echo", "a\\\\tb {t / 2}"]  outputs = ["o_{t}.txt"] } }`;
    const r = checkText(text);
    expect(codes(r)).toEqual(["SC2102"]);
    const { start, end } = r.diagnostics[0]!.span;
    expect(text.slice(start, end)).toBe("t / 2");
  });
});
