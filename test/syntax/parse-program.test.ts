import { describe, expect, it } from "vitest";
import type { Expr, Item } from "../../src/syntax/ast.js";
import { parseProgram } from "../../src/syntax/parse-program.js";

/** A compact prefix form of an expression, to assert its shape (precedence, grouping). */
function show(e: Expr): string {
  switch (e.kind) {
    case "binary": return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case "unary": return `(${e.op} ${show(e.operand)})`;
    case "ternary": return `(? ${show(e.cond)} ${show(e.then)} ${show(e.else)})`;
    case "pipe": return `(| ${show(e.source)} ${e.steps.map((s) => (s.kind === "where" ? `where:${show(s.predicate)}` : s.name)).join(" ")})`;
    case "name": return e.name;
    case "number": return String(e.value);
    case "call": return `${show(e.callee)}(${e.args.map((a) => (a.name ? `${a.name}:` : "") + show(a.value)).join(",")})`;
    case "member": return `${show(e.object)}.${e.name}`;
    case "paren": return show(e.expr);
    case "template": return e.name.raw;
    default: return e.kind;
  }
}

function valueOf(src: string): string {
  const r = parseProgram("t.sc", `param p = ${src}`);
  expect(r.diagnostics).toEqual([]);
  const item = r.program.items[0] as Extract<Item, { kind: "decl" }>;
  return show(item.value);
}

describe("expressions", () => {
  it("applies arithmetic precedence and left associativity", () => {
    expect(valueOf("1 + 2 * 3 - 4")).toBe("(- (+ 1 (* 2 3)) 4)");
    expect(valueOf("-2 * 3")).toBe("(* (- 2) 3)");
  });

  it("binds not looser than comparisons and tighter than and", () => {
    expect(valueOf("not a == b and c")).toBe("(and (not (== a b)) c)");
  });

  it("puts composition above comparison and 'with' between them", () => {
    expect(valueOf("a >> b >> c")).toBe("(>> (>> a b) c)");
    expect(valueOf("q with r")).toBe("(with q r)");
  });

  it("ends a where predicate at the next pipe, and set operations bind loosest", () => {
    expect(valueOf("vl | where rm >= t + 1 | take(5) union e.failures")).toBe("(union (| vl where:(>= rm (+ t 1)) take) e.failures)");
  });

  it("chains schedules with then", () => {
    expect(valueOf("warmup(3%) then cosine(from: 2e-4)")).toBe("(then warmup(0.03) cosine(from:0.0002))");
  });

  it("parses the conditional loosest", () => {
    expect(valueOf("t == 1 ? 1e-4 : 2e-5")).toBe("(? (== t 1) 0.0001 0.00002)");
  });

  it("reads numbers with units exactly", () => {
    expect(valueOf("32.8B")).toBe("32800000000");
    expect(valueOf("16K")).toBe("16000");
    expect(valueOf("3%")).toBe("0.03");
  });

  it("reports chained comparisons", () => {
    const r = parseProgram("t.sc", "param p = 0 < x < 1");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["SC1003"]);
  });
});

describe("template names", () => {
  it("splits holes and keeps their spans inside the name", () => {
    const r = parseProgram("t.sc", "for t in 1..2 { stage hybrid_{t} : sft { from = hybrid_{t - 1} } }");
    expect(r.diagnostics).toEqual([]);
    const loop = r.program.items[0] as Extract<Item, { kind: "for" }>;
    const stage = loop.body[0] as Extract<Item, { kind: "stage" }>;
    expect(stage.name.parts.map((p) => p.kind)).toEqual(["text", "hole"]);
    const from = stage.fields[0]!.value;
    expect(from.kind).toBe("template");
    if (from.kind === "template") {
      const hole = from.name.parts[1];
      expect(hole?.kind).toBe("hole");
      if (hole?.kind === "hole") expect(show(hole.expr)).toBe("(- t 1)");
    }
  });

  it("reports a hole that is not an index expression", () => {
    const r = parseProgram("t.sc", "stage a_{t t} : sft {}");
    expect(r.diagnostics.map((d) => d.code)).toContain("SC1008");
  });
});

describe("recovery", () => {
  it("reports several syntax errors in one file and keeps the items it could read", () => {
    const r = parseProgram("t.sc", 'model m = mlp(in: 2 out: 3)\nparam a = 1\ndataset d = jsonl("x.jsonl",, rows: 1)\nparam b = 2\n');
    expect(r.diagnostics.length).toBeGreaterThanOrEqual(2);
    const names = r.program.items.flatMap((i) => (i.kind === "decl" ? [i.name.raw] : []));
    expect(names).toContain("a");
    expect(names).toContain("b");
  });

  it("reports an unclosed block at its opening brace", () => {
    const text = "stage a : sft {\n  lr = 1\n";
    const r = parseProgram("t.sc", text);
    const d = r.diagnostics.find((x) => x.code === "SC1005");
    expect(d?.span.start).toBe(text.indexOf("{"));
  });

  it("keeps comments with their spans", () => {
    const r = parseProgram("t.sc", "# head\nparam a = 1  # tail\n");
    expect(r.program.comments.map((c) => c.text)).toEqual(["# head", "# tail"]);
  });
});

describe("characters that are not the language's", () => {
  it("an invisible one is named by its code point, an emoji whole", () => {
    const zw = parseProgram("t.sc", "param a = 1\u200b\n").diagnostics;
    expect(zw[0]!.message).toBe("unexpected character U+200B");
    const rtl = parseProgram("t.sc", "param a = 1\u202e\n").diagnostics;
    expect(rtl[0]!.message).toBe("unexpected character U+202E");
    const emoji = parseProgram("t.sc", "param a = 1 \u{1F600}\n").diagnostics;
    expect(emoji[0]!.message).toBe("unexpected character '\u{1F600}'");
  });
});

describe("a keyword where a declaration's name belongs", () => {
  it.each(["param from = 1", "stage import : command { run = [\"true\"] }", "dataset for = jsonl(\"d.jsonl\")"])("%s: one error, naming the keyword", (src) => {
    const d = parseProgram("t.sc", `${src}\nparam ok = 1\n`).diagnostics;
    expect(d).toHaveLength(1);
    const word = src.split(" ")[1]!;
    expect(d[0]!.suggestion).toBe(`'${word}' is a keyword, so it cannot be a name: choose another, such as ${word}_`);
  });
});

describe("a line of millions of characters", () => {
  it("is one SC1010 at its line, not a crash in the lexer", () => {
    const text = `param a = 1\nparam x = "${"a".repeat(9_000_000)}"\n`;
    const d = parseProgram("t.sc", text).diagnostics;
    expect(d.map((x) => x.code)).toEqual(["SC1010"]);
    expect(d[0]!.message).toBe("line 2 is longer than 1 MiB, which no pipeline file has");
  });
});

describe("a regular expression left open", () => {
  it("says how one is written", () => {
    const d = parseProgram("t.sc", "reward r = matches(/abc)\n").diagnostics;
    expect(d[0]!.suggestion).toBe("a regular expression is written between two slashes on one line: /pattern/");
  });
});
