import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProgram } from "../../src/format/format.js";
import { parseProgram } from "../../src/syntax/parse-program.js";
import { expectCanonical, fmt, parseClean } from "./helpers.js";

/** Lines joined with newlines, plus the one final newline every formatted file ends with. */
const lines = (...ls: readonly string[]): string => `${ls.join("\n")}\n`;

describe("layout", () => {
  it("prints declarations on one line with single spaces", () => {
    expect(fmt('model   vit=vision( "x",params:5.9B ,width : 3200 )frozen')).toBe(lines('model vit = vision("x", params: 5.9B, width: 3200) frozen'));
  });

  it("prints imports", () => {
    expect(fmt('import   "a.sc"\nfrom "b.sc" import x,y ,z')).toBe(lines('import "a.sc"', 'from "b.sc" import x, y, z'));
  });

  it("puts one field per line in blocks, indented two spaces", () => {
    const src = 'pipeline main { seed = 42, out = "runs"; }\ndefaults sft {batch=512 lr=1e-4}\nstage a : sft { model = vit >> proj >> qwen   data = vl }';
    expect(fmt(src)).toBe(
      lines(
        "pipeline main {",
        "  seed = 42",
        '  out = "runs"',
        "}",
        "defaults sft {",
        "  batch = 512",
        "  lr = 1e-4",
        "}",
        "stage a : sft {",
        "  model = vit >> proj >> qwen",
        "  data = vl",
        "}",
      ),
    );
  });

  it("prints empty blocks as {}", () => {
    expect(fmt("stage x : sft {\n\n}\npipeline p {}")).toBe(lines("stage x : sft {}", "pipeline p {}"));
  });

  it("nests loops and normalises template holes", () => {
    const src = "for t in 1 .. 4 {\nstage hybrid_{ t - 1 } : sft { from = hybrid_{t*2+1} }\n  dataset d_{t} = x_{t minus 1}\n}";
    expect(fmt(src)).toBe(
      lines("for t in 1..4 {", "  stage hybrid_{t-1} : sft {", "    from = hybrid_{t*2+1}", "  }", "  dataset d_{t} = x_{t minus 1}", "}"),
    );
  });

  it("writes a loop over a list of rounds", () => {
    expect(fmt("for t in [ 2,3 ,5 ] {\nparam p_{t} = t }")).toBe(lines("for t in [2, 3, 5] {", "  param p_{t} = t", "}"));
    expect(fmt("for t in rounds{param p_{t} = t}")).toBe(lines("for t in rounds {", "  param p_{t} = t", "}"));
  });

  it("keeps literals exactly as written", () => {
    const src = 'param a = [16K, 2e-4, 32.8B, 3%, 0.050, "q\\"x\\u0041", /^<think>.*\\//s, true, false]';
    expect(fmt(src)).toBe(lines(src));
  });

  it("spells ! && || as words", () => {
    expect(fmt("param p = !a && b || c")).toBe(lines("param p = not a and b or c"));
  });
});

describe("every expression kind round-trips", () => {
  const cases: readonly string[] = [
    "param x = { gpu: \"H100\", count: 64 }",
    "param x = {}",
    "param x = [a, b]",
    "param x = []",
    "param x = f(a, name: b)",
    "param x = f()",
    "param x = a + b * c - d / e % f",
    "param x = -x",
    "param x = - -x",
    "param x = not x",
    "param x = c ? a : b",
    "param x = a ? b ? c : d : e",
    "param x = a == b and c != d or e < f and g <= h or i > j and k >= l",
    "dataset x = src | where x >= 4 | top(200K, by: quality)",
    "dataset x = src | dedupe | union(other) | minus(bad)",
    "dataset x = a union b intersect c minus d",
    "dataset x = (vl | where rm >= t + 1) union e.failures",
    "schedule x = warmup(3%) then cosine(from: 2e-4)",
    "model x = a >> b >> c",
    "model x = qwen with r1",
    "param x = a.b.c",
    "param x = a[i][j + 1]",
    "param x = f(a)(b).c[0]",
    "param x = (a + b) * (c)",
    "param x = ((a))",
    "param x = hybrid_{t-1}.failures",
    "param x = f(from: 1, where: 2, stage: 3)",
    "param x = g(/a b/, [/c/], k: /d/)",
  ];
  for (const src of cases) {
    it(src, () => {
      expect(expectCanonical(src)).toBe(lines(src));
    });
  }
});

describe("comments", () => {
  it("keeps comments before items, with their indentation normalised", () => {
    const src = "   # one\n  # two\nmodel a = x\npipeline p {\n        # about seed\n seed = 1\n}";
    expect(fmt(src)).toBe(lines("# one", "# two", "model a = x", "pipeline p {", "  # about seed", "  seed = 1", "}"));
  });

  it("keeps trailing comments on their line, two spaces before #", () => {
    const src = "model a = x # why\npipeline p {\n  seed = 1      # fixed   \n}   # done";
    expect(fmt(src)).toBe(lines("model a = x  # why", "pipeline p {", "  seed = 1  # fixed", "}  # done"));
  });

  it("keeps comments at the end of a block inside it", () => {
    const src = "stage s : sft {\n  a = 1\n  # later: more\n}\nstage e : sft {\n  # nothing yet\n}";
    expect(fmt(src)).toBe(lines("stage s : sft {", "  a = 1", "  # later: more", "}", "stage e : sft {", "  # nothing yet", "}"));
  });

  it("keeps a comment on a block's opening line there", () => {
    expect(fmt("stage s : sft {  # hdr\n  a = 1\n}\nstage t : sft { # empty\n}")).toBe(
      lines("stage s : sft {  # hdr", "  a = 1", "}", "stage t : sft {}  # empty"),
    );
  });

  it("moves a comment inside an unbreakable expression to the end of its line", () => {
    expect(fmt("param x = a +  # plus\n  b\nparam y = (  # open\n c)")).toBe(lines("param x = a + b  # plus", "param y = (c)  # open"));
  });

  it("breaks a call, list or record around the comments inside it", () => {
    const src = "param x = f(a,  # first\n  # before b\n  b)\nparam y = [  # items\n 1]\nparam z = { a: 1,\n  b: 2 # two\n}";
    expect(fmt(src)).toBe(
      lines("param x = f(", "  a,  # first", "  # before b", "  b", ")", "param y = [  # items", "  1", "]", "param z = {", "  a: 1,", "  b: 2  # two", "}"),
    );
  });

  it("keeps comments between pipe steps beside their step", () => {
    const src = "dataset d = src  # raw\n  # keep the good ones\n  | where q >= 4 # judged\n  | top(5)";
    expect(fmt(src)).toBe(lines("dataset d = src  # raw", "    # keep the good ones", "    | where q >= 4  # judged", "    | top(5)"));
  });

  it("keeps comments at the start and end of the file", () => {
    expect(fmt("\n\n# first\n\nmodel a = x\n\n# last\n\n\n")).toBe(lines("# first", "", "model a = x", "", "# last"));
  });

  it("prints a file of comments only", () => {
    expect(fmt("# a\n\n\n# b")).toBe(lines("# a", "", "# b"));
  });
});

describe("blank lines", () => {
  it("keeps at most one between items and fields, none at block edges", () => {
    const src = "model a = x\n\n\n\nmodel b = y\nmodel c = z\nstage s : sft {\n\n  a = 1\n\n\n  b = 2\n  c = 3\n\n}";
    expect(fmt(src)).toBe(lines("model a = x", "", "model b = y", "model c = z", "stage s : sft {", "  a = 1", "", "  b = 2", "  c = 3", "}"));
  });

  it("keeps a blank line before a comment and between a comment and its item", () => {
    const src = "model a = x\n\n# about b\n\nmodel b = y";
    expect(fmt(src)).toBe(lines("model a = x", "", "# about b", "", "model b = y"));
  });
});

describe("long lines", () => {
  it("breaks a long pipe before each |, indented 4 more", () => {
    const src = "stage s : sft { data = some_source_dataset | where quality >= 4 and language == \"en\" | dedupe(by: text) | top(200K, by: quality) }";
    expect(fmt(src)).toBe(
      lines(
        "stage s : sft {",
        "  data = some_source_dataset",
        '      | where quality >= 4 and language == "en"',
        "      | dedupe(by: text)",
        "      | top(200K, by: quality)",
        "}",
      ),
    );
  });

  it("breaks long arguments one per line, closing paren on its own line", () => {
    const src = 'dataset vl = jsonl("data/vl-2m.jsonl", rows: 2M, tokens_per_row: 1.2K, fields: ["id", "image", "question", "answer"])';
    expect(fmt(src)).toBe(
      lines("dataset vl = jsonl(", '  "data/vl-2m.jsonl",', "  rows: 2M,", "  tokens_per_row: 1.2K,", '  fields: ["id", "image", "question", "answer"]', ")"),
    );
  });

  it("breaks a long step's arguments past its |", () => {
    const src = "dataset c = d | normalize(s_v) | distill(teacher: hybrid_{t-1}, judge: answer_judge, retries: judge_retries, max_new_tokens: 8K)";
    expect(fmt(src)).toBe(
      lines(
        "dataset c = d",
        "    | normalize(s_v)",
        "    | distill(",
        "        teacher: hybrid_{t-1},",
        "        judge: answer_judge,",
        "        retries: judge_retries,",
        "        max_new_tokens: 8K",
        "      )",
      ),
    );
  });

  it("leaves a line of exactly 100 columns alone", () => {
    const src = `param x = f(${"a".repeat(100 - "param x = f()".length)})`;
    expect(src.length).toBe(100);
    expect(fmt(src)).toBe(lines(src));
    expect(fmt(src.replace("f(a", "f(aa"))).toContain("f(\n");
  });
});

describe("robustness", () => {
  it("formats an empty file to nothing", () => {
    expect(fmt("")).toBe("");
    expect(fmt("\n\n  \n")).toBe("");
  });

  it("never throws on programs with syntax errors", () => {
    const bad = ["stage x : {", "model = ", "param x = f(a,, b)", "dataset d = a | ", 'import "a', "for t in 1.. { stage s_{t : k {} }", "param x = (a"];
    for (const text of bad) {
      const r = parseProgram("bad.sc", text);
      expect(() => formatProgram(r.program, text)).not.toThrow();
    }
  });
});

const VARIED: readonly string[] = [
  "model a = x\n  # c1\n\n\n  # c2\nmodel b = f(a,\n   # own\n   b # t\n   ) # end\n",
  "pipeline p { a = [1, 2,\n 3] b = { x: f(1, # one\n 2) }\n # tail\n}\n",
  "for t in 1..n + 1 { # loop\n  for u in 0..2 {\n    stage s_{t}_{u} : k { a = t*u }\n  }\n\n  # between\n  param q_{t} = 1 }\n",
  "for t in [2, # two\n 3] { # loop\n  param q_{t} = t }\n",
  `dataset d = ${Array.from({ length: 12 }, (_, i) => `step${i}(arg${i}: ${i})`).join(" | ")} frozen # after frozen\n`,
  `param p = f(${Array.from({ length: 30 }, (_, i) => `[${i}, { k: g(${i}) }]`).join(", ")})\n`,
  "param p = a ? f(b, # cmt\n c) : [d\n # dangling\n ]\n",
  "dataset d = x | where a  # w\n  | f(  # open\n  )\n",
  // A comment inside a breaking child breaks every group around it, so a second pass agrees.
  "dataset d = src(a,  # c\n b) | where x\n",
  "dataset c = d | normalize(s_v, s_t, s_i) | distill(teacher: h, judge: answer_judge, retries  # r\n: judge_retries, max_new_tokens: b)\n",
  "param x = [\n\n 1, # one\n\n\n 2 # two\n\n]\r\nparam y = {\r\n  # lead\r\n  a: 1 }\r\n",
];

describe("idempotency and AST equality", () => {
  VARIED.forEach((src, i) => {
    it(`varied input ${i}`, () => {
      expectCanonical(src);
    });
  });
});

describe("workflow files", () => {
  const dir = "workflows";
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".sc")) : [];
  it.skipIf(files.length === 0)("formats every clean workflows/*.sc idempotently, with the same AST", () => {
    for (const f of files) {
      const text = readFileSync(`${dir}/${f}`, "utf8");
      if (parseClean(text).errors.length > 0) continue;
      const once = expectCanonical(text);
      for (const l of once.split("\n")) if (!l.includes("#")) expect(l.length, `${f}: ${l}`).toBeLessThanOrEqual(100);
    }
  });
});
