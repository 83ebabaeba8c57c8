import type { CstNode, IToken } from "chevrotain";
import type * as C from "../../grammar/cst-types.js";
import { parserInstance } from "../../grammar/parse.js";
import { tokenize } from "../../grammar/tokens.js";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { span, type Span } from "../diagnostics/span.js";
import type { Arg, DeclKind, Entry, Expr, Field, Item, TemplateNameNode, TemplatePart, Transform } from "./ast.js";
import { readNumber, readRegex, readString } from "./literals.js";
import { binaryOpOf, ChainBuilder, type Piece } from "./precedence.js";

/** CST → AST. Recovered (partial) nodes become `error` expressions or are dropped; nothing throws. */
export class AstBuilder {
  /** The variables of the loops being built, innermost last: what a hole in a string may name. */
  private readonly loopVars: string[] = [];

  constructor(
    private readonly file: string,
    private readonly sink: DiagnosticSink,
    private readonly offsetShift = 0,
  ) {}

  private tok(t: IToken): Span {
    const start = (Number.isFinite(t.startOffset) ? t.startOffset : 0) + this.offsetShift;
    const end = (t.endOffset !== undefined && Number.isFinite(t.endOffset) ? t.endOffset + 1 : start - this.offsetShift) + this.offsetShift;
    return span(this.file, start, end);
  }

  /** One spanOf for every CST node: never built by hand elsewhere. */
  private node(n: CstNode): Span {
    const loc = n.location;
    if (!loc || !Number.isFinite(loc.startOffset)) return span(this.file, this.offsetShift, this.offsetShift);
    const end = loc.endOffset !== undefined && Number.isFinite(loc.endOffset) ? loc.endOffset + 1 : loc.startOffset;
    return span(this.file, loc.startOffset + this.offsetShift, end + this.offsetShift);
  }

  private errorExpr(n: CstNode | undefined, fallback: Span): Expr {
    return { kind: "error", span: n ? this.node(n) : fallback };
  }

  topItem(n: C.TopItemCstNode): Item | undefined {
    const c = n.children;
    if (c.importDecl?.[0]) return this.importDecl(c.importDecl[0]);
    if (c.fromImport?.[0]) return this.fromImport(c.fromImport[0]);
    if (c.pipelineDecl?.[0]) {
      const p = c.pipelineDecl[0].children;
      const name = p.Identifier?.[0];
      if (!name || !p.block?.[0]) return undefined;
      return { kind: "pipeline", name: name.image, nameSpan: this.tok(name), fields: this.block(p.block[0]), span: this.node(c.pipelineDecl[0]) };
    }
    if (c.defaultsDecl?.[0]) {
      const d = c.defaultsDecl[0].children;
      const kind = d.Identifier?.[0];
      if (!kind || !d.block?.[0]) return undefined;
      return { kind: "defaults", stageKind: kind.image, kindSpan: this.tok(kind), fields: this.block(d.block[0]), span: this.node(c.defaultsDecl[0]) };
    }
    if (c.declaration?.[0]) return this.declaration(c.declaration[0]);
    if (c.stageDecl?.[0]) return this.stageDecl(c.stageDecl[0]);
    if (c.forLoop?.[0]) return this.forLoop(c.forLoop[0]);
    return undefined;
  }

  private importDecl(n: C.ImportDeclCstNode): Item | undefined {
    const s = n.children.StringLit?.[0];
    if (!s) return undefined;
    const sp = this.tok(s);
    return { kind: "import", path: readString(s.image, s.tokenType.name, sp, this.sink), pathSpan: sp, span: this.node(n) };
  }

  private fromImport(n: C.FromImportCstNode): Item | undefined {
    const s = n.children.StringLit?.[0];
    if (!s) return undefined;
    const sp = this.tok(s);
    const names = (n.children.Identifier ?? []).map((t) => ({ name: t.image, span: this.tok(t) }));
    return { kind: "import", path: readString(s.image, s.tokenType.name, sp, this.sink), pathSpan: sp, names, span: this.node(n) };
  }

  private loopItem(n: C.LoopItemCstNode): Item | undefined {
    const c = n.children;
    if (c.declaration?.[0]) return this.declaration(c.declaration[0]);
    if (c.stageDecl?.[0]) return this.stageDecl(c.stageDecl[0]);
    if (c.forLoop?.[0]) return this.forLoop(c.forLoop[0]);
    return undefined;
  }

  private declaration(n: C.DeclarationCstNode): Item | undefined {
    const c = n.children;
    const kw = c.Model?.[0] ?? c.Dataset?.[0] ?? c.Scorer?.[0] ?? c.Schedule?.[0] ?? c.Reward?.[0] ?? c.Param?.[0];
    const name = c.name?.[0] ? this.templateName(c.name[0]) : undefined;
    const value = c.expression?.[0];
    if (!kw || !name || !value) return undefined;
    return {
      kind: "decl",
      declKind: kw.image as DeclKind,
      keywordSpan: this.tok(kw),
      name,
      value: this.expression(value),
      frozen: Boolean(c.Frozen?.length),
      ...(c.Frozen?.[0] ? { frozenSpan: this.tok(c.Frozen[0]) } : {}),
      span: this.node(n),
    };
  }

  private stageDecl(n: C.StageDeclCstNode): Item | undefined {
    const c = n.children;
    const name = c.name?.[0] ? this.templateName(c.name[0]) : undefined;
    const kind = c.kind?.[0];
    if (!name || !kind || !c.block?.[0]) return undefined;
    return { kind: "stage", name, stageKind: kind.image, kindSpan: this.tok(kind), fields: this.block(c.block[0]), span: this.node(n) };
  }

  private forLoop(n: C.ForLoopCstNode): Item | undefined {
    const c = n.children;
    const v = c.Identifier?.[0];
    const from = c.from?.[0];
    const to = c.to?.[0];
    if (!v || !from) return undefined;
    const body: Item[] = [];
    this.loopVars.push(v.image);
    try {
      for (const li of c.loopItem ?? []) {
        const item = this.loopItem(li);
        if (item) body.push(item);
      }
    } finally {
      this.loopVars.pop();
    }
    return { kind: "for", variable: v.image, variableSpan: this.tok(v), from: this.chain(from), ...(to ? { to: this.chain(to) } : {}), body, span: this.node(n) };
  }

  /** Splits `hybrid_{t-1}` into text and holes; each hole is parsed as an expression in place. */
  private templateName(t: IToken): TemplateNameNode {
    const s = this.tok(t);
    const parts = splitHoles(t.image, /\{([^}]*)\}/g, (inner, at) => this.holeExpr(inner, s.start + at));
    return { raw: t.image, parts, span: s };
  }

  /**
   * The holes of a string inside a loop: `{...}` holding index arithmetic that names at least one
   * of the enclosing loops' variables and no other name. Any other braces are text (`{print $1}`,
   * `{"a": 1}`, `{0}`). Undefined when there is no hole.
   */
  private stringHoles(value: string, t: IToken, s: Span): TemplatePart[] | undefined {
    // A hole holds no quote or backslash, so it stands in the source as it does in the value.
    let rawFrom = 0;
    const parts = splitHoles(value, /\{([A-Za-z0-9_+\-*/% ]+)\}/g, (inner) => {
      const names = tokenize(inner).tokens.filter((x) => x.tokenType.name === "Identifier").map((x) => x.image);
      if (names.length === 0 || !names.every((n) => this.loopVars.includes(n))) return undefined;
      const at = t.image.indexOf(`{${inner}}`, rawFrom) + 1;
      rawFrom = at + inner.length;
      return this.parseHole(inner, s.start + at);
    });
    return parts.some((p) => p.kind === "hole") ? parts : undefined;
  }

  private holeExpr(text: string, at: number): Expr {
    const parsed = this.parseHole(text, at);
    if (parsed) return parsed;
    const whole = span(this.file, at, at + text.length);
    this.sink.report("SC1008", whole, `'{${text}}' is not an index expression`, { suggestion: "holes in names hold arithmetic over loop variables, e.g. hybrid_{t-1}" });
    return { kind: "error", span: whole };
  }

  /** The expression in a hole that starts at offset `at` of the file, or undefined when it is not one. */
  private parseHole(text: string, at: number): Expr | undefined {
    const lexed = tokenize(text);
    const parser = parserInstance();
    parser.input = lexed.tokens;
    const cst = parser.expression();
    if (lexed.errors.length || parser.errors.length || !cst) return undefined;
    return new AstBuilder(this.file, this.sink, at).expression(cst as C.ExpressionCstNode);
  }

  private block(n: C.BlockCstNode): Field[] {
    const out: Field[] = [];
    for (const f of n.children.field ?? []) {
      const name = f.children.AnyName?.[0];
      const value = f.children.expression?.[0];
      if (!name || !value) continue;
      out.push({ name: name.image, nameSpan: this.tok(name), value: this.expression(value), span: this.node(f) });
    }
    return out;
  }

  // ---------- expressions ----------

  expression(n: C.ExpressionCstNode): Expr {
    const c = n.children;
    const cond = this.chain(n);
    if (!c.Question?.length) return cond;
    const then = c.then?.[0] ? this.expression(c.then[0]) : this.errorExpr(undefined, this.node(n));
    const els = c.else?.[0] ? this.expression(c.else[0]) : this.errorExpr(undefined, this.node(n));
    return { kind: "ternary", cond, then, else: els, span: this.node(n) };
  }

  private chain(n: C.ExpressionCstNode | C.RowChainCstNode): Expr {
    // Most expressions are one operand (a literal, a name, a call): that operand is the expression.
    const operands = n.children.operands;
    const only = operands?.length === 1 ? operands[0] : undefined;
    if (only && !only.children.prefixes?.length && !n.children.ops?.length && !("steps" in n.children && n.children.steps?.length)) return this.operand(only);
    const pieces: { at: number; piece: Piece }[] = [];
    for (const o of n.children.operands ?? []) {
      for (const t of o.children.prefixes ?? []) pieces.push({ at: t.startOffset, piece: { kind: "prefix", op: t.image === "-" ? "-" : "not", span: this.tok(t) } });
      const expr = this.operand(o);
      pieces.push({ at: expr.span.start - this.offsetShift, piece: { kind: "operand", expr } });
    }
    for (const t of n.children.ops ?? []) {
      if (t.image !== "|") pieces.push({ at: t.startOffset, piece: { kind: "op", op: binaryOpOf(t.image), span: this.tok(t) } });
    }
    for (const st of "steps" in n.children ? (n.children.steps ?? []) : []) {
      const step = this.transform(st);
      if (step) pieces.push({ at: step.span.start - this.offsetShift, piece: { kind: "pipe", step } });
    }
    pieces.sort((a, b) => a.at - b.at);
    return new ChainBuilder(pieces.map((p) => p.piece), this.sink, this.node(n)).build();
  }

  private transform(n: C.TransformCstNode): Transform | undefined {
    const c = n.children;
    if (c.Where?.[0]) {
      const pred = c.rowChain?.[0];
      return { kind: "where", predicate: pred ? this.chain(pred) : this.errorExpr(undefined, this.node(n)), span: this.node(n) };
    }
    const name = c.name?.[0];
    if (!name) return undefined;
    const args = c.callArgs?.[0] ? this.callArgs(c.callArgs[0]) : undefined;
    return { kind: "step", name: name.image, nameSpan: this.tok(name), args, span: this.node(n) };
  }

  /** An operand without its prefixes (the chain applies those with their precedence). */
  private operand(n: C.OperandCstNode): Expr {
    let acc = this.primary(n);
    // Suffixes are kept in source order by their offsets.
    const suffixes = [...(n.children.suffixes ?? [])].sort((a, b) => (a.location?.startOffset ?? 0) - (b.location?.startOffset ?? 0));
    for (const sfx of suffixes) {
      const end = this.node(sfx).end;
      if (sfx.name === "callArgs") {
        acc = { kind: "call", callee: acc, args: this.callArgs(sfx as C.CallArgsCstNode), span: span(this.file, acc.span.start, end) };
      } else if (sfx.name === "member") {
        const t = (sfx as C.MemberCstNode).children.AnyName?.[0];
        if (!t) continue;
        acc = { kind: "member", object: acc, name: t.image, nameSpan: this.tok(t), span: span(this.file, acc.span.start, end) };
      } else if (sfx.name === "index") {
        const e = (sfx as C.IndexCstNode).children.expression?.[0];
        acc = { kind: "index", object: acc, index: e ? this.expression(e) : this.errorExpr(sfx, this.node(sfx)), span: span(this.file, acc.span.start, end) };
      }
    }
    return acc;
  }

  private callArgs(n: C.CallArgsCstNode): Arg[] {
    const out: Arg[] = [];
    for (const a of n.children.argument ?? []) {
      const e = a.children.expression?.[0];
      if (!e) continue;
      const name = a.children.name?.[0];
      const value = this.expression(e);
      out.push(name ? { name: name.image, nameSpan: this.tok(name), value, span: this.node(a) } : { value, span: this.node(a) });
    }
    return out;
  }

  private primary(n: C.OperandCstNode): Expr {
    const c = n.children;
    const first = c.NumberLit?.[0] ?? c.StringLit?.[0] ?? c.RegexLit?.[0] ?? c.True?.[0] ?? c.False?.[0] ?? c.Identifier?.[0] ?? c.TemplateName?.[0];
    const sub = c.listLit?.[0] ?? c.recordLit?.[0] ?? c.parenExpr?.[0];
    const s = first ? this.tok(first) : sub ? this.node(sub) : this.node(n);
    if (c.NumberLit?.[0]) {
      const raw = c.NumberLit[0].image;
      return { kind: "number", raw, ...readNumber(raw, s, this.sink), span: s };
    }
    if (c.StringLit?.[0]) {
      const t = c.StringLit[0];
      const value = readString(t.image, t.tokenType.name, s, this.sink);
      const parts = this.loopVars.length && value.includes("{") ? this.stringHoles(value, t, s) : undefined;
      return { kind: "string", raw: t.image, value, span: s, ...(parts ? { parts } : {}) };
    }
    if (c.RegexLit?.[0]) {
      const raw = c.RegexLit[0].image;
      return { kind: "regex", raw, ...readRegex(raw, s, this.sink), span: s };
    }
    if (c.True?.length) return { kind: "bool", value: true, span: s };
    if (c.False?.length) return { kind: "bool", value: false, span: s };
    if (c.Identifier?.[0]) return { kind: "name", name: c.Identifier[0].image, span: s };
    if (c.TemplateName?.[0]) return { kind: "template", name: this.templateName(c.TemplateName[0]), span: s };
    if (c.listLit?.[0]) return { kind: "list", items: (c.listLit[0].children.expression ?? []).map((e) => this.expression(e)), span: s };
    if (c.recordLit?.[0]) {
      const entries: Entry[] = [];
      for (const e of c.recordLit[0].children.recordEntry ?? []) {
        const name = e.children.AnyName?.[0];
        const v = e.children.expression?.[0];
        if (name && v) entries.push({ name: name.image, nameSpan: this.tok(name), value: this.expression(v) });
      }
      return { kind: "record", entries, span: s };
    }
    if (c.parenExpr?.[0]) {
      const inner = c.parenExpr[0].children.expression?.[0];
      return { kind: "paren", expr: inner ? this.expression(inner) : this.errorExpr(undefined, s), span: s };
    }
    return this.errorExpr(n, s);
  }
}

/**
 * `text` as text and holes: each `{...}` that `re` matches and `fill` reads as an expression (given
 * the hole's inside and its offset in `text`) is a hole; everything else is text.
 */
function splitHoles(text: string, re: RegExp, fill: (inner: string, at: number) => Expr | undefined): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const inner = m[1] ?? "";
    const expr = fill(inner, m.index + 1);
    if (!expr) continue;
    if (m.index > last) parts.push({ kind: "text", text: text.slice(last, m.index) });
    parts.push({ kind: "hole", expr, raw: inner.trim() });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ kind: "text", text: text.slice(last) });
  return parts;
}
