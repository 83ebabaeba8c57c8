import { describe, expect, it } from "vitest";
import { lexer } from "../../grammar/tokens.js";

const kinds = (text: string) => lexer.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

describe("lexer", () => {
  it("keeps unit suffixes on numbers and does not eat range dots", () => {
    expect(kinds("2e-4 16K 32.8B 3% 1..4")).toEqual(["NumberLit:2e-4", "NumberLit:16K", "NumberLit:32.8B", "NumberLit:3%", "NumberLit:1", "DotDot:..", "NumberLit:4"]);
  });

  it("reads template names as one token, with and without spaces in the hole", () => {
    expect(kinds("hybrid_{t-1} eval_{ t }.failures")).toEqual(["TemplateName:hybrid_{t-1}", "TemplateName:eval_{ t }", "Dot:.", "Identifier:failures"]);
  });

  it("does not take a block after a name for a template", () => {
    expect(kinds("defaults sft { lr = 1 }")[1]).toBe("Identifier:sft");
    expect(kinds("stage x : sft {}")[3]).toBe("Identifier:sft");
  });

  it("tells a regex from a division by what precedes it", () => {
    expect(kinds("matches(/a\\/b/s)")[2]).toBe("RegexLit:/a\\/b/s");
    expect(kinds("x = a / b / c").filter((k) => k.startsWith("Slash"))).toHaveLength(2);
  });

  it("keeps keywords apart from longer names", () => {
    expect(kinds("format informal fortune in intersect")).toEqual(["Identifier:format", "Identifier:informal", "Identifier:fortune", "In:in", "Intersect:intersect"]);
  });

  it("lexes an unterminated string as an open string token", () => {
    expect(kinds('x = "abc\ny = 1')[2]).toBe('OpenString:"abc');
  });

  it("puts comments in their own group", () => {
    const r = lexer.tokenize("a # note\nb");
    expect(r.tokens.map((t) => t.image)).toEqual(["a", "b"]);
    expect(r.groups["comments"]?.map((t) => t.image)).toEqual(["# note"]);
  });
});
