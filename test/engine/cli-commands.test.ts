import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Store } from "../../src/cache/store.js";
import { expectGolden } from "../helpers/golden.js";
import { cleanup, countLines, fixtureProject, planJson, ROOT, rowsJsonl, sc, statuses, tempDir, writeTree } from "./helpers.js";

/** replay, log, graph, partial runs, --exit-code, and a failing stage, through the CLI in-process. */

const PIPELINE = `pipeline cli {
  seed = 2
}

dataset rows = jsonl("data/rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])
dataset good = rows | where q >= 2

stage prep : command {
  run = ["sh", "-c", "echo prep >> counter.log; echo 'prep says hello'; echo 'prep warns' >&2; wc -l < \\"$STAGECRAFT_INPUT_GOOD\\" > out/prep.txt"]
  inputs = [good]
  outputs = ["out/prep.txt"]
}

stage train : command {
  run = ["sh", "-c", "echo train >> counter.log; cat out/prep.txt out/prep.txt > out/model.bin"]
  inputs = [prep]
  outputs = ["out/model.bin"]
}

stage evaluate : command {
  run = ["sh", "-c", "echo evaluate >> counter.log; wc -c < out/model.bin > out/score.txt"]
  inputs = [train]
  outputs = ["out/score.txt"]
}

stage lint : command {
  run = ["sh", "-c", "echo lint >> counter.log; echo ok > out/lint.txt"]
  outputs = ["out/lint.txt"]
}
`;

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

function project(files: Record<string, string> = {}): string {
  const dir = tempDir("cli");
  dirs.push(dir);
  writeTree(dir, { "p.sc": PIPELINE, "data/rows.jsonl": rowsJsonl(), ...files });
  return dir;
}

async function ran(dir: string, args: readonly string[] = []): Promise<void> {
  const r = await sc(dir, ["run", "p.sc", ...args]);
  expect(r.code, r.stderr).toBe(0);
}

describe("replay", () => {
  it("restores a stage's outputs byte-identical into --to DIR and prints its logs", async () => {
    const dir = project();
    await ran(dir);
    const r = await sc(dir, ["replay", "p.sc", "prep", "--to", "replayed"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "replayed/out/prep.txt"))).toEqual(readFileSync(path.join(dir, "out/prep.txt")));
    expect(r.stdout).toMatch(/^restored replayed\/out\/prep\.txt \(\d+ bytes, sha256:[0-9a-f]{12}…\)$/m);
    expect(r.stdout).toMatch(/^stage prep \(command\), run \S+, finished \S+$/m);
    expect(r.stdout).toContain("--- stdout (1 line)\nprep says hello\n");
    expect(r.stdout).toContain("--- stderr (1 line)\nprep warns\n");
    // Nothing ran again.
    expect(countLines(path.join(dir, "counter.log"))).toBe(4);
  });

  it("a stage that is not cached for the pipeline as it is now: exit 1, with the reason it would run", async () => {
    const dir = project();
    await ran(dir);
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace("echo ok > out/lint.txt", "echo fine > out/lint.txt"));
    const r = await sc(dir, ["replay", "p.sc", "lint", "--to", "replayed"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^stagecraft replay: 'lint' is not in the cache for the pipeline as it is now: .+ \(it would run: run\[2\]: .+\)$/m);
    expect(existsSync(path.join(dir, "replayed"))).toBe(false);
  });

  it("a corrupt object is reported, never restored", async () => {
    const dir = project();
    await ran(dir);
    const plan = await planJson(dir, "p.sc");
    const store = await Store.open(path.join(dir, ".stagecraft"));
    const m = await store.readManifest(plan.nodes.find((n) => n.name === "train")!.fingerprint);
    if (!m.ok) throw new Error(m.detail);
    const obj = store.objectPath(m.manifest.outputs[0]!.digest);
    chmodSync(obj, 0o644);
    const bytes = readFileSync(obj);
    bytes[0] = bytes[0]! ^ 1; // same size, different content
    writeFileSync(obj, bytes);
    const r = await sc(dir, ["replay", "p.sc", "train", "--to", "replayed"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not in the cache .*hash to sha256:/);
    expect(existsSync(path.join(dir, "replayed/out/model.bin"))).toBe(false);
    expect((await sc(dir, ["cache", "verify"])).code).toBe(1);
  });

  it("an unknown stage is a usage error that lists the stages", async () => {
    const dir = project();
    const r = await sc(dir, ["replay", "p.sc", "nope"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("no stage named 'nope' (stages: prep, train, evaluate, lint)");
  });
});

describe("log", () => {
  it("lists runs newest first, with what the newest ran or restored", async () => {
    const dir = project();
    expect((await sc(dir, ["log"])).stdout).toBe("no runs recorded in this cache\n");
    await ran(dir);
    await ran(dir);
    const r = await sc(dir, ["log"]);
    expect(r.code).toBe(0);
    const heads = r.stdout.split("\n").filter((l) => /^\S/.test(l));
    expect(heads).toHaveLength(2);
    expect(heads[0]).toMatch(/^\S+ {2}ok {10}p\.sc: 0 ran, 5 restored, 0 failed in \d+\.\ds$/);
    expect(heads[1]).toMatch(/^\S+ {2}ok {10}p\.sc: 5 ran, 0 restored, 0 failed in \d+\.\ds$/);
    // The newest run's nodes are listed under it.
    expect(r.stdout).toContain("    restored prep\n");
    const json = JSON.parse((await sc(dir, ["log", "--json"])).stdout) as { id: string; status: string; nodes: unknown[] }[];
    expect(json.map((x) => [x.status, x.nodes.length])).toEqual([["ok", 5], ["ok", 5]]);
    expect(heads[0]!.startsWith(json[0]!.id)).toBe(true);
  });
});

describe("graph", () => {
  const FIXTURES = path.join(ROOT, "test/fixtures/plans");
  const formats = [["dot", "dot"], ["mermaid", "mmd"], ["json", "json"]] as const;

  for (const [format, ext] of formats) {
    it(`--format ${format} of commands.sc matches its golden`, async () => {
      const r = await sc(ROOT, ["graph", "test/fixtures/plans/commands.sc", "--format", format]);
      expect(r.code, r.stderr).toBe(0);
      expectGolden(path.join(FIXTURES, `commands.graph.${ext}`), r.stdout);
    });
  }

  it("every format draws the same edges, stage-only or with the data nodes", async () => {
    const dir = tempDir("graph");
    dirs.push(dir);
    fixtureProject(dir);
    copyFileSync(path.join(FIXTURES, "transforms.sc"), path.join(dir, "transforms.sc"));
    for (const all of [[], ["--all"]]) {
      const json = JSON.parse((await sc(dir, ["graph", "transforms.sc", "--format", "json", ...all])).stdout) as {
        nodes: { id: string; name: string; kind: string }[];
        edges: { from: string; to: string }[];
      };
      const names = new Set(json.nodes.map((n) => n.name));
      for (const e of json.edges) expect(names.has(e.from) && names.has(e.to), `${e.from} -> ${e.to}`).toBe(true);
      const dot = (await sc(dir, ["graph", "transforms.sc", "--format", "dot", ...all])).stdout;
      const mermaid = (await sc(dir, ["graph", "transforms.sc", "--format", "mermaid", ...all])).stdout;
      expect(dot.match(/ -> /g)?.length ?? 0).toBe(json.edges.length);
      expect(mermaid.match(/ --> /g)?.length ?? 0).toBe(json.edges.length);
      expect(mermaid.match(/^ {2}n\d+\[/gm)?.length).toBe(json.nodes.length);
      if (all.length) {
        expect(json.nodes.filter((n) => n.kind === "data").map((n) => n.name)).toContain("good:where");
        expect(json.edges).toContainEqual({ from: "best", to: "export" });
      } else {
        expect(json.nodes.map((n) => n.name)).toEqual(["export", "tally"]);
        expect(json.edges).toEqual([]);
      }
    }
  });

  it("an unknown format is a usage error", async () => {
    const r = await sc(ROOT, ["graph", "test/fixtures/plans/commands.sc", "--format", "png"]);
    expect(r.code).toBe(64);
  });
});

describe("partial runs and --exit-code", () => {
  /** A project run once, then its data changed, so prep, train and evaluate would rerun and lint not. */
  async function stale(): Promise<string> {
    const dir = project();
    await ran(dir);
    appendFileSync(path.join(dir, "data/rows.jsonl"), `${JSON.stringify({ id: 50, q: 4, topic: "math", text: "late" })}\n`);
    return dir;
  }

  it("with no selection: everything downstream of the change runs", async () => {
    const dir = await stale();
    expect(statuses(await planJson(dir, "p.sc"))).toEqual({
      rows: ["source", "read in place"],
      good: ["run", "input data/rows.jsonl changed"],
      prep: ["run", "upstream good will rerun"],
      train: ["run", "upstream prep will rerun"],
      evaluate: ["run", "upstream train will rerun"],
      lint: ["cached", "fingerprint unchanged"],
    });
  });

  it("--only S: just S and the transforms that feed it", async () => {
    const dir = await stale();
    const plan = await planJson(dir, "p.sc", ["--only", "prep"]);
    expect(plan.code).toBe(0);
    expect(statuses(plan)).toEqual({
      rows: ["source", "read in place"],
      good: ["run", "input data/rows.jsonl changed"],
      prep: ["run", "upstream good will rerun"],
      train: ["skipped", "outside the selection (would run: upstream prep will rerun)"],
      // train has not changed: it would rerun, outside the selection too.
      evaluate: ["skipped", "outside the selection (would run: upstream train would rerun)"],
      lint: ["cached", "fingerprint unchanged"],
    });
  });

  it("--until S: S and what it needs", async () => {
    const dir = await stale();
    const s = statuses(await planJson(dir, "p.sc", ["--until", "train"]));
    expect(Object.entries(s).filter(([, v]) => v[0] === "run").map(([k]) => k)).toEqual(["good", "prep", "train"]);
    expect(s["evaluate"]![0]).toBe("skipped");
  });

  it("a stage outside the selection that would run for several reasons lists them all", async () => {
    const dir = project();
    await ran(dir);
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace("echo train >>", "echo Train >>").replace("where q >= 2", "where q >= 3"));
    const train = (await planJson(dir, "p.sc", ["--only", "lint"])).nodes.find((n) => n.name === "train")!;
    expect(train.status).toBe("skipped");
    expect(train.reasons[0]).toMatch(/^outside the selection \(would run: run\[2\]: /);
    expect(train.reasons.slice(1)).toEqual(["upstream prep would rerun"]);
  });

  it("--from S leaves out the data transforms that feed only stages outside the selection", async () => {
    const dir = project();
    await ran(dir);
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace("where q >= 2", "where q >= 3"));
    const plan = await planJson(dir, "p.sc", ["--from", "lint"]);
    expect(statuses(plan)["good"]![0]).toBe("skipped");
    expect(statuses(plan)["prep"]![0]).toBe("skipped");
    // From prep, the transform that feeds it runs with it.
    expect(statuses(await planJson(dir, "p.sc", ["--from", "prep"]))["good"]![0]).toBe("run");
  });

  it("--from S: S and what depends on it, and S cannot run on a result that is not made", async () => {
    const dir = await stale();
    const from = await planJson(dir, "p.sc", ["--from", "prep"]);
    expect(Object.entries(statuses(from)).filter(([, v]) => v[0] === "run").map(([k]) => k)).toEqual(["good", "prep", "train", "evaluate"]);
    // prep is outside `--from train` and its new result does not exist: train must not run on the old one.
    const blocked = await planJson(dir, "p.sc", ["--from", "train"]);
    expect(blocked.code).toBe(1);
    expect(statuses(blocked)["train"]).toEqual(["blocked", "needs prep, which is outside the selection and not in the cache"]);
    const run = await sc(dir, ["run", "p.sc", "--from", "train"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("some nodes are blocked; nothing was run");
    expect(countLines(path.join(dir, "counter.log"))).toBe(4);
  });

  it("--keep-going runs what does not depend on a blocked node; the blocked one fails with its reason", async () => {
    const dir = project();
    rmSync(path.join(dir, "data/rows.jsonl"));
    const plain = await sc(dir, ["run", "p.sc"]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("nothing was run (--keep-going runs what does not depend on them)");
    const r = await sc(dir, ["run", "p.sc", "--keep-going"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✗ rows failed \(p\.sc:\d+\): blocked: input file data\/rows\.jsonl does not exist/);
    // lint reads nothing blocked: it ran; what reads the rows did not.
    expect(readFileSync(path.join(dir, "counter.log"), "utf8")).toBe("lint\n");
  });

  it("the pipeline's backend setting picks the backend; --backend overrides it", async () => {
    const dir = tempDir("backend");
    dirs.push(dir);
    writeTree(dir, {
      "p.sc": `pipeline b { backend = "cpu" }
model m = mlp(in: 4, out: 4)
dataset d = synthetic("glyphs", rows: 10)
stage s : sft { model = m  data = d  lr = 1e-3 }
`,
    });
    expect((await planJson(dir, "p.sc")).backend).toBe("cpu");
    expect((await planJson(dir, "p.sc", ["--backend", "wasm"])).backend).toBe("wasm");
  });

  it("a data file replaced by a directory blocks what reads it, in the plan and the run", async () => {
    const dir = project();
    rmSync(path.join(dir, "data/rows.jsonl"));
    mkdirSync(path.join(dir, "data/rows.jsonl"));
    const plan = await planJson(dir, "p.sc");
    expect(statuses(plan)["rows"]).toEqual(["blocked", "input file data/rows.jsonl is a directory, not a file of rows"]);
    expect(statuses(plan)["prep"]).toEqual(["blocked", "upstream good is blocked"]);
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("data/rows.jsonl is a directory, not a file of rows");
    expect(r.stderr).not.toMatch(/EISDIR|\n\s+at /);
  });

  it("--only S before anything ran: blocked, not a run that silently does nothing", async () => {
    const dir = project();
    const r = await sc(dir, ["run", "p.sc", "--only", "train"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("why: needs prep, which is outside the selection and not in the cache");
    expect(countLines(path.join(dir, "counter.log"))).toBe(0);
  });

  it("a selection still runs when something outside it is blocked", async () => {
    const dir = project();
    writeFileSync(path.join(dir, "p.sc"), `${PIPELINE}\ndataset gone = jsonl("data/gone.jsonl", rows: 3, fields: ["id"])\nstage orphan : command { run = ["true"]  inputs = [gone] }\n`);
    expect((await planJson(dir, "p.sc")).code).toBe(1);
    const plan = await planJson(dir, "p.sc", ["--only", "lint"]);
    expect(plan.code).toBe(0);
    expect(statuses(plan)["orphan"]).toEqual(["skipped", "outside the selection (blocked: upstream gone is blocked)"]);
    await ran(dir, ["--only", "lint"]);
    expect(readFileSync(path.join(dir, "counter.log"), "utf8")).toBe("lint\n");
  });

  it("--force S reruns S and what reads it, though cached; --force alone reruns everything", async () => {
    const dir = project();
    await ran(dir);
    expect(statuses(await planJson(dir, "p.sc", ["--force=train"]))).toMatchObject({
      train: ["run", "forced"],
      prep: ["cached", "fingerprint unchanged"],
      evaluate: ["run", "upstream train is forced"],
      lint: ["cached", "fingerprint unchanged"],
    });
    // Forced outside the selection, it is not made again, so what reads it stays cached.
    expect(statuses(await planJson(dir, "p.sc", ["--force=train", "--only=evaluate"]))).toMatchObject({ evaluate: ["cached", "fingerprint unchanged"] });
    // --force with a selection forces what is selected; what it reads comes from the cache.
    expect(statuses(await planJson(dir, "p.sc", ["--force", "--only=train"]))).toMatchObject({
      prep: ["cached", "fingerprint unchanged"],
      train: ["run", "forced"],
      evaluate: ["skipped", "outside the selection (would run: upstream train is forced)"],
    });
    const all = await planJson(dir, "p.sc", ["--force"]);
    expect(all.nodes.filter((n) => n.status !== "source").every((n) => n.status === "run" && n.reasons[0] === "forced")).toBe(true);
    await ran(dir, ["--force=train"]);
    expect(countLines(path.join(dir, "counter.log"), "train")).toBe(2);
    expect(countLines(path.join(dir, "counter.log"), "evaluate")).toBe(2);
    expect(countLines(path.join(dir, "counter.log"))).toBe(6);
  });

  it("selection flags take comma-separated lists, and unknown stages are a usage error", async () => {
    const dir = project();
    const plan = await planJson(dir, "p.sc", ["--only", "prep,lint"]);
    expect(plan.nodes.filter((n) => n.status === "run").map((n) => n.name)).toEqual(["good", "prep", "lint"]);
    for (const flag of ["--only", "--from", "--until", "--force"]) {
      const r = await sc(dir, ["plan", "p.sc", `${flag}=nope`]);
      expect(r.code, flag).toBe(64);
      expect(r.stderr).toContain("no stage named 'nope'");
    }
    // A near miss is suggested; a dataset's name says why it cannot be selected.
    expect((await sc(dir, ["plan", "p.sc", "--force=trian"])).stderr).toBe("stagecraft plan: no stage named 'trian' (did you mean 'train'?)\n");
    const data = await sc(dir, ["plan", "p.sc", "--only=good"]);
    expect(data.code).toBe(64);
    expect(data.stderr).toMatch(/^stagecraft plan: 'good' is a dataset, not a stage/);
  });

  it("a selection that holds no stage says so", async () => {
    const dir = project();
    const r = await sc(dir, ["plan", "p.sc", "--from", "evaluate", "--until", "prep"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("stagecraft plan: note: --from evaluate --until prep selects no stage, so nothing can run\n");
  });

  it("--exit-code: 2 while anything would run, 0 once nothing would, 1 when something is blocked", async () => {
    const dir = project();
    expect((await sc(dir, ["plan", "p.sc"])).code).toBe(0);
    expect((await sc(dir, ["plan", "p.sc", "--exit-code"])).code).toBe(2);
    await ran(dir);
    expect((await sc(dir, ["plan", "p.sc", "--exit-code"])).code).toBe(0);
    expect((await sc(dir, ["plan", "p.sc", "--exit-code", "--json"])).code).toBe(0);
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace("data/rows.jsonl", "data/none.jsonl"));
    expect((await sc(dir, ["plan", "p.sc", "--exit-code"])).code).toBe(1);
  });
});

const FAILING = `pipeline failing {
  seed = 1
}

stage first : command { run = ["sh", "-c", "echo first >> counter.log; echo ok > out/first.txt"]  outputs = ["out/first.txt"] }

stage broken : command {
  run = ["sh", "-c", "echo broken >> counter.log; echo partial > out/broken.txt; echo 'something went wrong' >&2; exit 3"]
  after = [first]
  outputs = ["out/broken.txt"]
}

stage child : command { run = ["sh", "-c", "echo child >> counter.log; cat out/broken.txt > out/child.txt"]  after = [broken]  outputs = ["out/child.txt"] }
stage grandchild : command { run = ["sh", "-c", "echo grandchild >> counter.log"]  after = [child] }
stage other : command { run = ["sh", "-c", "echo other >> counter.log"] }
`;

describe("a failing command stage", () => {
  it("fails the run with exit 1, names its pipeline line, keeps no partial output, and its dependants do not run", async () => {
    const dir = project({ "p.sc": FAILING });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✗ broken failed (p.sc:7): command exited with code 3:\nsomething went wrong\n");
    expect(r.stderr).toMatch(/^failed: 1 ran, 0 restored, 1 failed/m);
    expect(readFileSync(path.join(dir, "counter.log"), "utf8")).toBe("first\nbroken\n");
    expect(existsSync(path.join(dir, "out/broken.txt"))).toBe(false);
    const [record] = JSON.parse((await sc(dir, ["log", "--json"])).stdout) as { status: string; nodes: { node: string; action: string; error?: string }[] }[];
    expect(record!.status).toBe("failed");
    // What never started is in the record and the summary, as skipped, saying why.
    expect(record!.nodes.map((n) => [n.node, n.action])).toEqual([["first", "ran"], ["broken", "failed"], ["child", "skipped"], ["grandchild", "skipped"], ["other", "skipped"]]);
    expect(r.stderr).toContain("- child not run: upstream broken did not finish");
    expect(r.stderr).toContain("- grandchild not run: upstream child did not finish");
    expect(r.stderr).toContain("- other not run: not started: the run stopped at a failure (--keep-going runs what does not depend on it)");
    expect(record!.nodes[1]!.error).toContain("exited with code 3");
    // The failure is not cached: it is tried again, and what succeeded is not.
    // The next plan says the stage failed last time, and how.
    const again = statuses(await planJson(dir, "p.sc"));
    expect(again).toMatchObject({ first: ["cached", "fingerprint unchanged"] });
    expect(again["broken"]?.[0]).toBe("run");
    expect(again["broken"]?.[1]).toMatch(/^failed in run \S+: command exited with code 3$/);
  });

  it("with --keep-going, independent stages still run and dependants are reported as not run", async () => {
    const dir = project({ "p.sc": FAILING });
    const r = await sc(dir, ["run", "p.sc", "--keep-going"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("- child not run: upstream broken did not finish");
    expect(r.stderr).toContain("- grandchild not run: upstream child did not finish");
    expect(readFileSync(path.join(dir, "counter.log"), "utf8").split("\n").filter(Boolean).sort()).toEqual(["broken", "first", "other"]);
  });
});
