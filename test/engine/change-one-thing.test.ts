import { appendFileSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveBackend } from "../../runtime/backend.js";
import { newRunId } from "../../src/cache/manifest.js";
import { StatCache } from "../../src/cache/stat-cache.js";
import { Store } from "../../src/cache/store.js";
import { checkFile } from "../../src/check/check.js";
import { fsHost } from "../../src/cli/fs-host.js";
import { lower } from "../../src/ir/lower.js";
import { makePlan } from "../../src/plan/plan.js";
import { storePlanEnv } from "../../src/plan/store-env.js";
import { changed, cleanup, planJson, rowsJsonl, sc, statuses, tempDir, writeTree, type PlanJson } from "./helpers.js";

/**
 * Run a small pipeline once, change exactly one thing, and plan again: exactly the nodes that read
 * the change (and what depends on them) rerun, each with the reason a user would want to read.
 */

const PIPELINE = `pipeline change {
  seed = 1
}

param q_min = 3
param unused = 5
param greeting = "hi"

dataset rows = jsonl("data/rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])
dataset good = rows | where q >= q_min | top(3, by: q)

stage count : command {
  run = ["sh", "scripts/count.sh", "out/count.txt"]
  inputs = [good]
  env = { GREETING: greeting }
  outputs = ["out/count.txt"]
}

stage report : command {
  run = ["sh", "-c", "wc -c < out/count.txt > out/report.txt"]
  inputs = [count]
  outputs = ["out/report.txt"]
}

stage side : command {
  run = ["sh", "-c", "echo side > out/side.txt"]
  outputs = ["out/side.txt"]
}
`;

/** The same program, laid out differently and commented: it must fingerprint the same. */
const REFORMATTED = `# A comment that was not there before.
pipeline change { seed = 1 }

param q_min   = 3    # threshold
param unused  = 5
param greeting= "hi"

dataset rows = jsonl( "data/rows.jsonl" , rows: 12 , fields: [ "id", "q", "topic", "text" ] )
dataset good = rows
  | where q >= q_min   # keep the good ones
  | top(3, by: q)

stage count : command { run = ["sh", "scripts/count.sh", "out/count.txt"]  inputs = [good]  env = { GREETING: greeting }  outputs = ["out/count.txt"] }
stage report : command { run = ["sh", "-c", "wc -c < out/count.txt > out/report.txt"]
  inputs = [count]
  outputs = ["out/report.txt"] }
stage side : command {
  run = ["sh", "-c", "echo side > out/side.txt"]   # unrelated
  outputs = ["out/side.txt"]
}
`;

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

/** A fresh project, run once; returns its directory and the plan that says everything is cached. */
async function project(): Promise<{ dir: string; base: PlanJson }> {
  const dir = tempDir("change");
  dirs.push(dir);
  writeTree(dir, {
    "p.sc": PIPELINE,
    "data/rows.jsonl": rowsJsonl(),
    "scripts/count.sh": `wc -l < "$STAGECRAFT_INPUT_GOOD" > "$1"\necho "$GREETING" >> "$1"\n`,
  });
  const run = await sc(dir, ["run", "p.sc"]);
  expect(run.code, run.stderr).toBe(0);
  const base = await planJson(dir, "p.sc");
  expect(base.totals).toMatchObject({ run: 0, blocked: 0, cached: 5 });
  return { dir, base };
}

function edit(dir: string, file: string, from: string | RegExp, to: string): void {
  const p = path.join(dir, file);
  const text = readFileSync(p, "utf8");
  const next = text.replace(from, to);
  expect(next, `edit of ${file} changed nothing`).not.toBe(text);
  writeFileSync(p, next);
}

const RERUN_DOWNSTREAM_OF_GOOD = {
  good: { status: "run", reasons: ["upstream good:where will rerun"], fingerprint: true },
  count: { status: "run", reasons: ["upstream good will rerun"], fingerprint: true },
  report: { status: "run", reasons: ["upstream count will rerun"], fingerprint: true },
};

describe("change one thing at a time", () => {
  it("a where threshold (through a param): the filter reruns saying how the predicate changed", async () => {
    const { dir, base } = await project();
    edit(dir, "p.sc", "param q_min = 3", "param q_min = 4");
    const after = await planJson(dir, "p.sc", ["--exit-code"]);
    expect(after.code).toBe(2);
    expect(changed(base, after)).toEqual({
      "good:where": { status: "run", reasons: ['predicate: "q >= 3" → "q >= 4"'], fingerprint: true },
      ...RERUN_DOWNSTREAM_OF_GOOD,
    });
  });

  it("a transform's argument: top(3) → top(4) reruns from that step on", async () => {
    const { dir, base } = await project();
    edit(dir, "p.sc", "top(3, by: q)", "top(4, by: q)");
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({
      good: { status: "run", reasons: ["n: 3 → 4"], fingerprint: true },
      count: { status: "run", reasons: ["upstream good will rerun"], fingerprint: true },
      report: { status: "run", reasons: ["upstream count will rerun"], fingerprint: true },
    });
  });

  it("a hyperparameter a stage reads (a param in its env): that stage and its dependants rerun", async () => {
    const { dir, base } = await project();
    edit(dir, "p.sc", 'param greeting = "hi"', 'param greeting = "hello"');
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({
      count: { status: "run", reasons: ['env.GREETING: "hi" → "hello"'], fingerprint: true },
      report: { status: "run", reasons: ["upstream count will rerun"], fingerprint: true },
    });
  });

  it("a data file's bytes: the first transform names the file, and the source itself is still read in place", async () => {
    const { dir, base } = await project();
    appendFileSync(path.join(dir, "data/rows.jsonl"), `${JSON.stringify({ id: 99, q: 4, topic: "math", text: "new" })}\n`);
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({
      rows: { status: "source", reasons: ["read in place"], fingerprint: true },
      "good:where": { status: "run", reasons: ["input data/rows.jsonl changed"], fingerprint: true },
      ...RERUN_DOWNSTREAM_OF_GOOD,
    });
  });

  it("the data file restored to its old bytes: everything is cached again", async () => {
    const { dir, base } = await project();
    const file = path.join(dir, "data/rows.jsonl");
    const old = readFileSync(file);
    appendFileSync(file, "{\"id\": 100, \"q\": 1, \"topic\": \"x\", \"text\": \"y\"}\n");
    expect((await planJson(dir, "p.sc")).totals.run).toBe(4);
    writeFileSync(file, old);
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({});
  });

  it("only formatting and comments: nothing changes", async () => {
    const { dir, base } = await project();
    writeFileSync(path.join(dir, "p.sc"), REFORMATTED);
    const after = await planJson(dir, "p.sc", ["--exit-code"]);
    expect(after.code).toBe(0);
    expect(changed(base, after)).toEqual({});
    expect(after.totals).toMatchObject({ run: 0, cached: 5 });
  });

  it("a data source's settings: the reason names the setting, not the file, whose bytes are the same", async () => {
    const { dir, base } = await project();
    edit(dir, "p.sc", 'jsonl("data/rows.jsonl", rows: 12,', 'jsonl("data/rows.jsonl", on_error: "skip", rows: 12,');
    const after = await planJson(dir, "p.sc");
    const why = ['rows.on_error: "fail" → "skip"'];
    expect(changed(base, after)).toEqual({
      rows: { status: "source", reasons: ["read in place"], fingerprint: true },
      "good:where": { status: "run", reasons: why, fingerprint: true },
      good: { status: "run", reasons: ["upstream good:where will rerun"], fingerprint: true },
      count: { status: "run", reasons: ["upstream good will rerun"], fingerprint: true },
      report: { status: "run", reasons: ["upstream count will rerun"], fingerprint: true },
    });
  });

  it("a data source pointed at another file: the path is named", async () => {
    const { dir, base } = await project();
    writeFileSync(path.join(dir, "data/other.jsonl"), readFileSync(path.join(dir, "data/rows.jsonl")));
    appendFileSync(path.join(dir, "data/other.jsonl"), '{"id": 99, "q": 5, "topic": "x", "text": "t"}\n');
    edit(dir, "p.sc", '"data/rows.jsonl"', '"data/other.jsonl"');
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)["good:where"]?.reasons).toEqual(['rows.path: "data/rows.jsonl" → "data/other.jsonl"']);
  });

  it("a transform replaced by another: the reason names both, not the arguments they do not share", async () => {
    const { dir, base } = await project();
    edit(dir, "p.sc", "| top(3, by: q)", "| take(3)");
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)["good"]).toEqual({ status: "run", reasons: ["transform top → take"], fingerprint: true });
  });

  it("a change reverted, then another made: the reason is the closest of the results kept, not the last", async () => {
    const dir = tempDir("revert");
    dirs.push(dir);
    const text = (a: string, b: string) => `stage a : command { shell = "echo ${a} > a.txt"  outputs = ["a.txt"] }
stage b : command { shell = "cat a.txt > b.txt; echo ${b} >> b.txt"  inputs = ["a.txt"]  outputs = ["b.txt"] }
`;
    writeTree(dir, { "p.sc": text("A1", "B1") });
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    writeFileSync(path.join(dir, "p.sc"), text("A2", "B1"));
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    writeFileSync(path.join(dir, "p.sc"), text("A1", "B1"));
    expect((await planJson(dir, "p.sc")).totals.run).toBe(0);
    writeFileSync(path.join(dir, "p.sc"), text("A1", "B2"));
    // Against the last run b differs twice (a's result too); against the first, only in its line.
    expect(statuses(await planJson(dir, "p.sc"))["b"]).toEqual(["run", 'shell: "cat a.txt > b.txt; echo B1 >> b.txt" → "cat a.txt > b.txt; echo B2 >> b.txt"']);
    expect((await planJson(dir, "p.sc")).nodes.find((n) => n.name === "b")!.reasons).toHaveLength(1);
  });

  it("an input that now matches another cached result: the reason says how that input differs", async () => {
    const dir = tempDir("switch");
    dirs.push(dir);
    const text = (bound: string) => `dataset r = jsonl("r.jsonl", fields: ["id", "q"])
for t in 1..3 {
  dataset d_{t} = r | where q >= ${bound}
  stage s_{t} : command { shell = "wc -l < $STAGECRAFT_INPUT_D_{t} > out_{t}.txt"  inputs = [d_{t}]  outputs = ["out_{t}.txt"] }
}
`;
    writeTree(dir, { "p.sc": text("t"), "r.jsonl": [1, 2, 3, 4].map((q) => JSON.stringify({ id: q, q })).join("\n") + "\n" });
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    writeFileSync(path.join(dir, "p.sc"), text("t + 1"));
    const s = statuses(await planJson(dir, "p.sc"));
    // d_1 is now what d_2 was: cached, and s_1 says how its input differs from the one it read.
    expect(s["d_1"]?.[0]).toBe("cached");
    expect(s["s_1"]).toEqual(["run", 'input d_1 changed (predicate: "q >= 1" → "q >= 2")']);
    expect(s["s_3"]).toEqual(["run", "upstream d_3 will rerun"]);
  });

  it("a param nothing reads: nothing changes", async () => {
    const { dir, base } = await project();
    edit(dir, "p.sc", "param unused = 5", "param unused = 6");
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({});
  });

  it("an upstream stage: it reruns for its own change, and what reads it says upstream will rerun", async () => {
    const { dir, base } = await project();
    edit(dir, "p.sc", "env = { GREETING: greeting }", 'env = { GREETING: greeting, MODE: "fast" }');
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({
      count: { status: "run", reasons: ['env.MODE: unset → "fast"'], fingerprint: true },
      report: { status: "run", reasons: ["upstream count will rerun"], fingerprint: true },
    });
  });

  it("a flag added to a command line: the reason names the flag, not two cut-off lists", async () => {
    const { dir, base } = await project();
    edit(dir, "p.sc", '"out/count.txt"]\n  inputs', '"out/count.txt", "--with-a-rather-long-flag-name"]\n  inputs');
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({
      count: { status: "run", reasons: ['run: added "--with-a-rather-long-flag-name"'], fingerprint: true },
      report: { status: "run", reasons: ["upstream count will rerun"], fingerprint: true },
    });
  });

  it("an external script's contents: the stage whose argv names it reruns", async () => {
    const { dir, base } = await project();
    appendFileSync(path.join(dir, "scripts/count.sh"), "# a comment is a change to a script\n");
    const after = await planJson(dir, "p.sc");
    expect(changed(base, after)).toEqual({
      count: { status: "run", reasons: ["input scripts/count.sh changed"], fingerprint: true },
      report: { status: "run", reasons: ["upstream count will rerun"], fingerprint: true },
    });
  });

  it("a deleted cache object: the result is a miss that says which object is gone, never a hit", async () => {
    const { dir, base } = await project();
    const store = await Store.open(path.join(dir, ".stagecraft"));
    const fp = base.nodes.find((n) => n.name === "count")!.fingerprint;
    const m = await store.readManifest(fp);
    if (!m.ok) throw new Error(m.detail);
    const out = m.manifest.outputs[0]!;
    unlinkSync(store.objectPath(out.digest));
    const after = await planJson(dir, "p.sc");
    // Only count's result is gone. Its fingerprint is the same, but what it makes again may differ,
    // so report, which was made from the old result, is made again too.
    expect(changed(base, after)).toEqual({
      count: { status: "run", reasons: [`object missing from cache: output 'out/count.txt' (${out.digest}) is not in the store`], fingerprint: false },
      report: { status: "run", reasons: ["upstream count is made again (its cached result is damaged or incomplete)"], fingerprint: false },
    });
    // And the run puts it back.
    const run = await sc(dir, ["run", "p.sc"]);
    expect(run.code, run.stderr).toBe(0);
    expect(await store.has(out.digest)).toBe(true);
    expect((await planJson(dir, "p.sc")).totals.run).toBe(0);
  });

  it("a deleted manifest: the stage ran before, so it is a missing result, never 'never run'", async () => {
    const { dir, base } = await project();
    const store = await Store.open(path.join(dir, ".stagecraft"));
    await store.deleteManifest(base.nodes.find((n) => n.name === "count")!.fingerprint);
    expect(statuses(await planJson(dir, "p.sc"))["count"]).toEqual(["run", "result missing from cache"]);
    // Changed as well: what changed cannot be told without the old record, and the reason says so.
    edit(dir, "p.sc", 'param greeting = "hi"', 'param greeting = "hello"');
    expect(statuses(await planJson(dir, "p.sc"))["count"]).toEqual(["run", "changed since its last run, whose result is no longer in the cache"]);
  });

  it("a stage that failed, then its script was fixed: the fix comes first, then the failure", async () => {
    const { dir } = await project();
    writeFileSync(path.join(dir, "scripts/count.sh"), "echo broken >&2; exit 3\n");
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(1);
    const failed = statuses(await planJson(dir, "p.sc"))["count"]!;
    expect(failed).toEqual(["run", expect.stringMatching(/^failed in run \S+: command exited with code 3$/)]);
    writeFileSync(path.join(dir, "scripts/count.sh"), "wc -l < \"$STAGECRAFT_INPUT_GOOD\" > \"$1\"\n");
    const fixed = statuses(await planJson(dir, "p.sc"))["count"]!;
    expect(fixed).toEqual(["run", "input scripts/count.sh changed", `last ${failed[1]}`]);
  });

  it("a project moved with its cache keeps its history: a change reads as the change, not 'never run'", async () => {
    const { dir } = await project();
    const moved = `${dir}-moved`;
    dirs.push(moved);
    renameSync(dir, moved);
    edit(moved, "p.sc", 'param greeting = "hi"', 'param greeting = "hello"');
    expect(statuses(await planJson(moved, "p.sc"))["count"]).toEqual(["run", 'env.GREETING: "hi" → "hello"']);
  });

  it("a deleted data file blocks what reads it, with the file named", async () => {
    const { dir } = await project();
    unlinkSync(path.join(dir, "data/rows.jsonl"));
    const after = await planJson(dir, "p.sc");
    expect(after.code).toBe(1);
    expect(statuses(after)).toEqual({
      rows: ["blocked", "input file data/rows.jsonl does not exist"],
      "good:where": ["blocked", "upstream rows is blocked"],
      good: ["blocked", "upstream good:where is blocked"],
      count: ["blocked", "upstream good is blocked"],
      report: ["blocked", "upstream count is blocked"],
      side: ["cached", "fingerprint unchanged"],
    });
  });
});

const GRPO = (weight: string) => `pipeline g {
  seed = 3
}

model lm = decoder_lm(width: 32, layers: 1, heads: 2, context: 64)
dataset prompts = synthetic("visual_arith", rows: 20, seed: 5)

param w_format = ${weight}
reward accuracy = boxed_answer == answer
reward format = matches(/boxed/)
reward unused_reward = contains("unused")
reward total = accuracy + w_format * format

stage rl : grpo {
  model = lm
  data = prompts
  reward = total
  lr = 1e-4
  group = 4
}
`;

describe("change one thing: a reward weight of a grpo stage", () => {
  /** The plan as the CLI makes it, with the fingerprint records the JSON leaves out. */
  async function planWithRecords(dir: string) {
    const before = process.cwd();
    process.chdir(dir);
    try {
      const checked = checkFile("g.sc", fsHost);
      if (!checked.program) throw new Error("g.sc does not check");
      const ir = lower(checked.program, (f) => checked.sources.get(f) ?? "");
      const store = await Store.open(".stagecraft");
      const stats = await StatCache.load(store.root);
      // The backend the CLI would pick, so the fake result matches what `plan` computes.
      const backend = await resolveBackend(undefined);
      return { store, plan: await makePlan(ir, storePlanEnv(store, stats), { backend: backend.ok ? backend.name : "none" }) };
    } finally {
      process.chdir(before);
    }
  }

  it("changes the fingerprint and, against a previous result, names the reward", async () => {
    const dir = tempDir("grpo");
    dirs.push(dir);
    writeTree(dir, { "g.sc": GRPO("0.5") });
    const first = await planWithRecords(dir);
    const rl = first.plan.nodes.find((n) => n.name === "rl")!;
    expect(rl.reasons).toEqual(["never run"]);
    // Fake the results a previous run would have left, rl's and those it was made from.
    const store = first.store;
    const digest = await store.putBytes("weights");
    const now = new Date().toISOString();
    const runId = newRunId();
    const made = first.plan.nodes.filter((n) => n.status === "run");
    expect(made.map((n) => n.name)).toContain("rl");
    for (const n of made) {
      await store.writeManifest({
        version: 1, fingerprint: n.fingerprint, node: n.name, kind: n.op, outputs: [{ name: "model.safetensors", digest, size: 7 }],
        record: n.record, runId, startedAt: now, finishedAt: now,
      });
    }
    await store.writeRun({ version: 1, id: runId, pipeline: "g.sc", startedAt: now, finishedAt: now, status: "ok", nodes: made.map((n) => ({ node: n.name, fingerprint: n.fingerprint, action: "ran" as const })) });
    expect(statuses(await planJson(dir, "g.sc"))["rl"]).toEqual(["cached", "fingerprint unchanged"]);

    // A reward no stage uses changes nothing.
    writeFileSync(path.join(dir, "g.sc"), GRPO("0.5").replace('contains("unused")', 'contains("still unused")'));
    expect(statuses(await planJson(dir, "g.sc"))["rl"]).toEqual(["cached", "fingerprint unchanged"]);

    writeFileSync(path.join(dir, "g.sc"), GRPO("0.7"));
    const after = await planJson(dir, "g.sc");
    const node = after.nodes.find((n) => n.name === "rl")!;
    expect(node.fingerprint).not.toBe(rl.fingerprint);
    expect(node.status).toBe("run");
    expect(node.reasons).toEqual(['reward: "(boxed_answer == answer) + 0.5 * matches(/boxed/)" → "(boxed_answer == answer) + 0.7 * matches(/boxed/)"']);
    // The data it reads did not change, so the synthetic source is not blamed.
    expect(node.reasons.join("\n")).not.toContain("prompts");
  });
});
