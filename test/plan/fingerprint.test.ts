import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/ir/canon.js";
import { checkFile } from "../../src/check/check.js";
import { fsHost } from "../../src/cli/fs-host.js";
import { lower } from "../../src/ir/lower.js";
import type { NodeId } from "../../src/ir/ir.js";
import { fingerprintNode, recordJson, staticPart } from "../../src/plan/fingerprint.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const files = [
  ...readdirSync(path.join(ROOT, "workflows")).filter((f) => f.endsWith(".sc")).map((f) => path.join("workflows", f)),
  ...readdirSync(path.join(ROOT, "test/fixtures/plans")).filter((f) => f.endsWith(".sc")).map((f) => path.join("test/fixtures/plans", f)),
];

describe("fingerprint records", () => {
  it.each(files)("%s: the record's JSON written from its kept params is its canonical JSON, for every node", (file) => {
    const before = process.cwd();
    process.chdir(ROOT);
    try {
      const r = checkFile(file, fsHost);
      expect(r.program).toBeDefined();
      const ir = lower(r.program!, (f) => r.sources.get(f) ?? "");
      const fps = new Map<NodeId, string>();
      for (const id of ir.order) {
        const node = ir.nodes.get(id)!;
        const fixed = staticPart(node, ir);
        const files = { [path.join(ROOT, "x.jsonl")]: "sha256:00" };
        const fp = fingerprintNode(node, ir, fps, files, "wasm", fixed);
        // The names beside inputs and `after` are for reasons only, and not hashed.
        const { names: _names, afterNames: _afterNames, ...hashed } = fp.record;
        expect(recordJson(fp.record, fixed.paramsJson)).toBe(canonicalJson(hashed));
        // The params coming back from their JSON (as a kept compilation gives them) change nothing.
        const again = fingerprintNode(node, ir, fps, files, "wasm", { paramsJson: fixed.paramsJson });
        expect(again.fingerprint).toBe(fp.fingerprint);
        expect(again.record.params).toEqual(fp.record.params);
        expect(JSON.parse(JSON.stringify(again.record))).toEqual(JSON.parse(JSON.stringify(fp.record)));
        fps.set(id, fp.fingerprint);
      }
      expect(fps.size).toBeGreaterThanOrEqual(5);
    } finally {
      process.chdir(before);
    }
  });
});

/** Every node's fingerprint, by its name, for a pipeline given as text. */
function fingerprintsOf(text: string, others: Readonly<Record<string, string>> = {}): Map<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), "stagecraft-rename-"));
  try {
    const file = path.join(dir, "p.sc");
    writeFileSync(file, text);
    for (const [name, content] of Object.entries(others)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    const r = checkFile(file, fsHost);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const ir = lower(r.program!, (f) => r.sources.get(f) ?? "");
    const fps = new Map<NodeId, string>();
    const byName = new Map<string, string>();
    for (const id of ir.order) {
      const node = ir.nodes.get(id)!;
      const fp = fingerprintNode(node, ir, fps, {}, "wasm");
      fps.set(id, fp.fingerprint);
      byName.set(node.name, fp.fingerprint);
    }
    return byName;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("renaming", () => {
  it("a stage that others train from, evaluate or run after changes no fingerprint: its results and theirs stay cached", () => {
    const text = readFileSync(path.join(ROOT, "workflows/tiny-r1v.sc"), "utf8");
    const renamed = text.replace(/\binit_hq\b/g, "adapter_judged");
    expect(renamed).not.toBe(text);
    const before = fingerprintsOf(text);
    const after = fingerprintsOf(renamed);
    expect(after.size).toBe(before.size);
    for (const [name, fp] of before) expect(after.get(name === "init_hq" ? "adapter_judged" : name), name).toBe(fp);
  });

  it("a command's input is another matter: the command sees its name, as STAGECRAFT_INPUT_<NAME>", () => {
    const base = `stage make : command { run = ["sh", "-c", "echo x > a.txt"]  outputs = ["a.txt"] }
stage later : command { run = ["true"]  after = [make] }
stage use : command { run = ["sh", "-c", "cat $STAGECRAFT_INPUT_MAKE"]  inputs = [make] }
`;
    const before = fingerprintsOf(base);
    const after = fingerprintsOf(base.replace(/\bmake\b/g, "build"));
    expect(after.get("build")).toBe(before.get("make"));
    expect(after.get("later")).toBe(before.get("later"));
    expect(after.get("use")).not.toBe(before.get("use"));
  });
});

describe("where a command runs", () => {
  const make = `stage make : command { run = ["sh", "-c", "pwd > out.txt"]  outputs = ["out.txt"] }\n`;

  it("is one value however its cwd is spelled", () => {
    const fps = ["sub", "sub/", "./sub", "sub/../sub"].map((cwd) => fingerprintsOf(`stage make : command { run = ["true"]  cwd = "${cwd}" }\n`).get("make"));
    expect(new Set(fps).size).toBe(1);
    expect(fingerprintsOf(`stage make : command { run = ["true"]  cwd = "other" }\n`).get("make")).not.toBe(fps[0]);
  });

  it("declared files are one value however their paths are spelled", () => {
    const fps = ['"y.py", "out/"', '"./y.py", "out"', '"sub/../y.py", "./out/"'].map(
      (ins) => fingerprintsOf(`stage make : command { run = ["true"]  inputs = [${ins}]  outputs = ["./a.txt"] }\n`).get("make"),
    );
    expect(new Set(fps).size).toBe(1);
  });

  it("is part of its fingerprint when it moves to a file in another directory, and not when the file sits beside the pipeline", () => {
    const here = fingerprintsOf(make).get("make");
    expect(fingerprintsOf(`import "common.sc"\n`, { "common.sc": make }).get("make")).toBe(here);
    expect(fingerprintsOf(`import "lib/common.sc"\n`, { "lib/common.sc": make }).get("make")).not.toBe(here);
    // The same directory reached from the other side: lib/ with cwd "..".
    const plain = `stage make : command { run = ["true"] }\n`;
    const back = `stage make : command { run = ["true"]  cwd = ".." }\n`;
    expect(fingerprintsOf(`import "lib/common.sc"\n`, { "lib/common.sc": back }).get("make")).toBe(fingerprintsOf(plain).get("make"));
  });
});

describe("seeds", () => {
  it("a command's written seed is part of it (it is passed as STAGECRAFT_SEED); a score stage's is not", () => {
    const cmd = (seed: string) => fingerprintsOf(`pipeline p { seed = 1 }\nstage c : command { run = ["true"] ${seed} }\n`).get("c");
    expect(cmd("seed = 1")).not.toBe(cmd(""));
    expect(cmd("seed = 2")).not.toBe(cmd("seed = 1"));
    const score = (seed: string) =>
      fingerprintsOf(`scorer len = command("node", "len.js")\ndataset d = jsonl("d.jsonl", rows: 1, fields: ["id"])\nstage s : score { data = d  scores = { n: len } ${seed} }\n`).get("s");
    expect(score("seed = 3")).toBe(score(""));
  });
});

describe("after", () => {
  it("a stage already upstream of the others it reads changes no fingerprint when written in after", () => {
    const base = `stage a : command { run = ["true"] }
stage b : command { run = ["true"]  after = [a] }
`;
    const plain = fingerprintsOf(`${base}stage c : command { run = ["true"]  after = [b] }\n`).get("c");
    expect(fingerprintsOf(`${base}stage c : command { run = ["true"]  after = [b, a] }\n`).get("c")).toBe(plain);
    // One that is not upstream of the rest is a new predecessor.
    expect(fingerprintsOf(`${base}stage d : command { run = ["true"] }\nstage c : command { run = ["true"]  after = [b, d] }\n`).get("c")).not.toBe(plain);
  });
});

describe("renaming a command stage", () => {
  const text = (name: string, inputs: string) => `dataset d = jsonl("d.jsonl", fields: ["id"])
stage ${name} : command { run = ["true"]  inputs = [${inputs}] }
`;
  it("reruns it when data written in place is handed over under its name (STAGECRAFT_INPUT_<STAGE>_INPUTS)", () => {
    expect(fingerprintsOf(text("two", "d | take(1)")).get("two")).not.toBe(fingerprintsOf(text("one", "d | take(1)")).get("one"));
  });

  it("reruns nothing when what it reads is named by the datasets themselves", () => {
    expect(fingerprintsOf(text("two", "d")).get("two")).toBe(fingerprintsOf(text("one", "d")).get("one"));
  });
});
