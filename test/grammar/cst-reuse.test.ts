import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CstElement, CstNode, IToken } from "chevrotain";
import { describe, expect, it, vi } from "vitest";
import { CstReuse, shapeKey } from "../../grammar/cst-reuse.js";
import { parserInstance, parseText } from "../../grammar/parse.js";
import { tokenize } from "../../grammar/tokens.js";

/** A tree as plain data: node names, child keys in order, locations, and each token's type, text and offsets. */
function plain(e: CstElement): unknown {
  if ("tokenType" in e) return [e.tokenType.name, e.image, e.startOffset, e.endOffset];
  return {
    name: e.name,
    location: [e.location?.startOffset, e.location?.endOffset],
    children: Object.entries(e.children).map(([k, v]) => [k, v.map(plain)]),
  };
}

function trees(text: string, reuseTrees: boolean): { trees: unknown[]; messages: string[] } {
  const out: unknown[] = [];
  const r = parseText("p.sc", text, (cst) => out.push(plain(cst as unknown as CstNode)), { reuseTrees });
  return { trees: out, messages: r.diagnostics.map((d) => `${d.code} ${d.span.start} ${d.message}`) };
}

const repeated = Array.from({ length: 6 }, (_, i) =>
  [
    `stage n${i} : command { run = ["touch", "out/${i}.txt"]  outputs = ["out/${i}.txt"]${i ? `  after = [n${(i - 1) >> 1}]` : ""} }`,
    `dataset d${i} = jsonl("data/${i}.jsonl") | where score >= ${i} and len(q) < ${i * 10 + 1}`,
    `stage s${i} : sft { from = base  data = d${i}  lr = ${i + 1}e-5  schedule = cosine(warmup: ${i}%) }`,
  ].join("\n"),
).join("\n");

const files = ["workflows", "test/fixtures/check"].flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith(".sc"))
    .map((f) => path.join(d, f)),
);

describe("reusing parse trees across items of one shape", () => {
  it("gives the trees the parser gives, token for token, on a file of repeated shapes", () => {
    const spy = vi.spyOn(parserInstance(), "topItem");
    const reused = trees(repeated, true);
    // n0 (no `after`) is a shape of its own, parsed once; the three other shapes are parsed twice
    // (the second parse makes the template) and their other items are built from it.
    expect(spy).toHaveBeenCalledTimes(7);
    spy.mockClear();
    const parsed = trees(repeated, false);
    expect(spy).toHaveBeenCalledTimes(18);
    spy.mockRestore();
    expect(reused.trees).toHaveLength(18);
    expect(reused).toEqual(parsed);
  });

  it.each(files)("gives the trees and messages the parser gives on %s", (file) => {
    const text = readFileSync(file, "utf8");
    expect(trees(text, true)).toEqual(trees(text, false));
  });

  it("still reports every item's syntax errors when several items share a broken shape", () => {
    const text = ["stage a : command { run = [1 2] }", "stage b : command { run = [3 4] }", "stage c : command { run = [5 6] }"].join("\n");
    const { messages } = trees(text, true);
    expect(messages.filter((m) => m.startsWith("SC1003"))).toHaveLength(3);
    expect(messages).toEqual(trees(text, false).messages);
  });

  it("makes a template the second time a shape is seen, and only from the item's own tokens", () => {
    const parser = parserInstance();
    const parse = (src: string): { tokens: IToken[]; cst: CstNode } => {
      const tokens = tokenize(src).tokens;
      parser.input = tokens;
      return { tokens, cst: parser.topItem() };
    };
    const a = parse("stage a : eval { from = m }");
    const b = parse("stage b : eval { from = n }");
    const c = parse("stage c : eval { from = o }");
    expect(shapeKey(a.tokens)).toBe(shapeKey(c.tokens));
    const reuse = new CstReuse();
    reuse.offer(shapeKey(a.tokens), a.tokens, a.cst);
    expect(reuse.reuse(shapeKey(c.tokens), c.tokens)).toBeUndefined();
    // A tree holding a token that is not among the item's tokens is never a template.
    reuse.offer(shapeKey(b.tokens), a.tokens.slice(0, -1).concat(b.tokens.slice(-1)), a.cst);
    expect(reuse.reuse(shapeKey(c.tokens), c.tokens)).toBeUndefined();
    reuse.offer(shapeKey(b.tokens), b.tokens, b.cst);
    const built = reuse.reuse(shapeKey(c.tokens), c.tokens);
    expect(built && plain(built)).toEqual(plain(c.cst));
    expect(reuse.reuse(shapeKey(tokenize("stage d : eval { from = o  data = x }").tokens), c.tokens)).toBeUndefined();
  });
});
