import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cachedResults, cleanup, countLines, sc, tempDir, writeTree } from "../../engine/helpers.js";

/**
 * The data runner end to end: the CLI in-process from source on a project in a temporary
 * directory, as test/engine does, with the rows each node wrote read from the cache.
 */
const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

/** A project directory, by its real path: the paths in messages are resolved from the working directory. */
function project(prefix: string, files: Readonly<Record<string, string>>): string {
  const dir = realpathSync(tempDir(prefix));
  dirs.push(dir);
  writeTree(dir, files);
  return dir;
}

/** The rows file a node left in the cache, as its lines. */
async function rowsOf(dir: string, node: string): Promise<string[]> {
  const file = (await cachedResults(dir, "p.sc")).get(node)?.files.get("data.jsonl");
  if (!file) throw new Error(`${node} has no rows in the cache`);
  return readFileSync(file, "utf8").split("\n").slice(0, -1);
}

// Scores each row with its text's length; one line in runs.log per start, to count the runs.
const LEN = `require("fs").appendFileSync("runs.log", "run\\n");
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (l) => process.stdout.write(JSON.stringify({ score: JSON.parse(l).text.length, half: JSON.parse(l).text.length / 2 }) + "\\n"));
`;
const ROWS = '{"id":12345678901234567891,"text":"ab"}\n{"id":2.0,"text":"hello"}\n';

describe("a score stage", () => {
  it("adds one field per entry of `scores`, running each scorer once, with the rows' own text kept", async () => {
    const dir = project("score-stage", {
      "p.sc": `scorer len = command("node", "scripts/len.js", outputs: ["score", "half"])
dataset rows = jsonl("data/rows.jsonl", rows: 2, fields: ["id", "text"])
stage s : score {
  data = rows
  scores = { n: len, h: len.half }
}
`,
      "data/rows.jsonl": ROWS,
      "scripts/len.js": LEN,
    });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await rowsOf(dir, "s")).toEqual([
      '{"id":12345678901234567891,"text":"ab","n":2,"h":1}',
      '{"id":2.0,"text":"hello","n":5,"h":2.5}',
    ]);
    expect(countLines(path.join(dir, "runs.log"))).toBe(1);
  });

  it("writes what the score(...) transform writes for the same scorers", async () => {
    const dir = project("score-both", {
      "p.sc": `scorer len = command("node", "scripts/len.js")
dataset rows = jsonl("data/rows.jsonl", rows: 2, fields: ["id", "text"])
dataset t = rows | score(n: len)
stage s : score {
  data = rows
  scores = { n: len }
}
# A dataset is planned only when a stage reads it.
stage use_t : command { run = ["true"]  inputs = [t] }
`,
      "data/rows.jsonl": ROWS,
      "scripts/len.js": LEN,
    });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await rowsOf(dir, "s")).toEqual(await rowsOf(dir, "t"));
  });

  it("scores the rows of another stage given as its data", async () => {
    const dir = project("score-chain", {
      "p.sc": `scorer len = command("node", "scripts/len.js")
dataset rows = jsonl("data/rows.jsonl", rows: 2, fields: ["id", "text"])
stage s : score {
  data = rows
  scores = { n: len }
}
stage s2 : score {
  data = s
  scores = { m: len }
}
`,
      "data/rows.jsonl": ROWS,
      "scripts/len.js": LEN,
    });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await rowsOf(dir, "s2")).toEqual(['{"id":12345678901234567891,"text":"ab","n":2,"m":2}', '{"id":2.0,"text":"hello","n":5,"m":5}']);
  });
});

describe("a set operation reads each side under its own dataset's on_error", () => {
  const A = '{"id":1,"q":1,"t":"a"}\n{"id":2,"q":2,"t":"b"}\n{"id":3,"q":3,"t":"c"}\n';
  const B = '{"id":3,"q":3,"t":"c"}\nnot json\n{"id":4,"q":4,"t":"d"}\n';
  const pipeline = (op: string, onA: string, onB: string): string => `dataset a = jsonl("data/a.jsonl", rows: 3, fields: ["id", "q", "t"]${onA})
dataset b = jsonl("data/b.jsonl", rows: 2, fields: ["id", "q", "t"]${onB})
dataset u = a ${op} b
stage use_u : command { run = ["true"]  inputs = [u] }
`;
  const SKIP = ', on_error: "skip"';

  for (const op of ["union", "intersect", "minus"]) {
    it(`${op}: a bad line on the right fails the run when the right's policy is fail, naming its file and line`, async () => {
      const dir = project(`${op}-fail`, { "p.sc": pipeline(op, SKIP, ""), "data/a.jsonl": A, "data/b.jsonl": B });
      const r = await sc(dir, ["run", "p.sc"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${path.join(dir, "data", "b.jsonl")}:2: not a JSON object`);
    });
  }

  it("union: with the policies swapped, the right's bad line is skipped and reported", async () => {
    const dir = project("union-skip", { "p.sc": pipeline("union", "", SKIP), "data/a.jsonl": A, "data/b.jsonl": B });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`u: skipped 1 malformed row of ${path.join(dir, "data", "b.jsonl")} (line 2)`);
    expect(await rowsOf(dir, "u")).toEqual([...A.split("\n").slice(0, 3), '{"id":4,"q":4,"t":"d"}']);
  });

  it("minus: skipped lines on both sides are each reported with their file and lines", async () => {
    const badA = '{"id":1}\n{oops\n{"id":3}\n[]\n';
    const dir = project("minus-both", { "p.sc": pipeline("minus", SKIP, SKIP), "data/a.jsonl": badA, "data/b.jsonl": B });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`u: skipped 2 malformed rows of ${path.join(dir, "data", "a.jsonl")} (lines 2, 4)`);
    expect(r.stderr).toContain(`u: skipped 1 malformed row of ${path.join(dir, "data", "b.jsonl")} (line 2)`);
    expect(await rowsOf(dir, "u")).toEqual(['{"id":1}']);
  });
});

describe("on_error skip and rows a transform cannot use", () => {
  const rows = '{"id":1,"q":5}\n{"id":2}\n{"id":3,"q":"high"}\nnot json\n{"id":4,"q":9}\n';
  const pipeline = (policy: string) => `dataset raw = jsonl("data/raw.jsonl", rows: 5, fields: ["id", "q"]${policy})
dataset good = raw | where q > 4
stage use_good : command { run = ["true"]  inputs = [good] }
`;

  it("under skip, a row without the field the filter reads is skipped and reported with why", async () => {
    const dir = project("unfit-skip", { "p.sc": pipeline(', on_error: "skip"'), "data/raw.jsonl": rows });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(dir, "data", "raw.jsonl");
    expect(r.stderr).toContain(`good: skipped 3 rows of ${file} (lines 2, 3, 4): 1 malformed, 2 that the transform cannot use (line 2: row has no field 'q')`);
    expect(await rowsOf(dir, "good")).toEqual(['{"id":1,"q":5}', '{"id":4,"q":9}']);
  });

  it("under fail, the first such row fails the run with its file and line", async () => {
    const dir = project("unfit-fail", { "p.sc": pipeline(""), "data/raw.jsonl": rows });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, "data", "raw.jsonl")}:2: row has no field 'q'`);
  });
});

describe("a fraction of the rows", () => {
  it("take, top and sample all take floor(f * rows) of the rows the input has", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: i, q: (i * 7) % 30 })).join("\n") + "\n";
    const dir = project("fractions", {
      "p.sc": `dataset r = jsonl("data/r.jsonl", fields: ["id", "q"])
dataset half = r | take(50%)
dataset best = r | top(10%, by: q)
dataset all = r | top(100%, by: q)
dataset some = r | sample(50%, seed: 1)
stage use : command { run = ["true"]  inputs = [half, best, all, some] }
`,
      "data/r.jsonl": rows,
    });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    const q = (line: string): number => (JSON.parse(line) as { q: number }).q;
    expect(await rowsOf(dir, "half")).toHaveLength(15);
    expect((await rowsOf(dir, "best")).map(q)).toEqual([29, 28, 27]);
    expect(await rowsOf(dir, "all")).toHaveLength(30);
    const some = await rowsOf(dir, "some");
    expect(some).toHaveLength(15);
    expect(new Set(some).size).toBe(15);
  });
});

describe("an error in rows another transform made", () => {
  it("names those rows by their node and line, not by the file the cache keeps them in", async () => {
    const dir = project("named-rows", {
      "p.sc": `dataset r = jsonl("data/r.jsonl")
dataset d = r | take(3) | where q > 1
stage use : command { run = ["true"]  inputs = [d] }
`,
      "data/r.jsonl": '{"id":1,"q":2}\n{"id":2}\n{"id":3,"q":5}\n',
    });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rows of d:take, line 2: row has no field 'q'");
    expect(r.stderr).not.toContain("objects/sha256");
  });
});

describe("on_error down a chain of transforms", () => {
  it("a source's skip also holds for rows a later transform cannot use", async () => {
    const dir = project("skip-chain", {
      "p.sc": `dataset d = jsonl("mid.jsonl", fields: ["id", "q"], on_error: "skip")
dataset f = d | dedupe(by: id) | where q >= 4
stage show : command { run = ["true"]  inputs = [f] }
`,
      "mid.jsonl": '{"id":1,"q":5}\n{"id":2,"q":5}\n{"id":2,"q":5}\n{"id":3,"q":"bad"}\n{"id":4,"q":1}\n',
    });
    const r = await sc(dir, ["run", "p.sc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await rowsOf(dir, "f")).toEqual(['{"id":1,"q":5}', '{"id":2,"q":5}']);
    expect(r.stderr).toContain("skipped 1 row of the rows of f:dedupe that the transform cannot use (line 3; line 3: field 'q' is \"bad\", not a number)");
  });
});

describe("a score stage read inside a data expression", () => {
  it("keeps its own reasons: its rows are a node of another name", async () => {
    const dir = project("score-read", {
      "p.sc": `scorer len = command("node", "scripts/len.js")
dataset rows = jsonl("data/rows.jsonl", rows: 2, fields: ["id", "text"])
stage s : score { data = rows  scores = { n: len } }
stage use : command { run = ["true"]  inputs = [s | where n >= 1] }
`,
      "data/rows.jsonl": ROWS,
      "scripts/len.js": LEN,
    });
    expect((await sc(dir, ["run", "p.sc"])).code).toBe(0);
    writeFileSync(path.join(dir, "p.sc"), readFileSync(path.join(dir, "p.sc"), "utf8").replace('"scripts/len.js")', '"scripts/len.js", "--quiet")'));
    const plan = JSON.parse((await sc(dir, ["plan", "p.sc", "--json"])).stdout) as { nodes: { name: string; reasons: string[] }[] };
    const reasons = Object.fromEntries(plan.nodes.map((n) => [n.name, n.reasons]));
    expect(reasons["s"]).toEqual(['scores.n.argv: added "--quiet"']);
    expect(reasons["s.rows"]).toEqual(["upstream s will rerun"]);
  });
});
