import { span as makeSpan, type Span } from "../diagnostics/span.js";
import type { Arg, Comment, Entry, Expr, TemplateNameNode, Transform } from "../syntax/ast.js";
import { commentText, partition, type FormatContext } from "./comments.js";
import { render, suffix, type Doc } from "./doc.js";
import { bracketed, pipeline, type Element } from "./sequence.js";

const PARENS = { open: "(", close: ")", padded: false } as const;
const BRACKETS = { open: "[", close: "]", padded: false } as const;
const BRACES = { open: "{", close: "}", padded: true } as const;

function unreachable(x: never): never {
  throw new Error(`unexpected syntax node ${JSON.stringify(x)}`);
}

/**
 * Prints `children` with the comments inside each child's span; comments between them (say,
 * after an operator) have nowhere better to go than the end of the line, so they trail it.
 */
function withChildren(ctx: FormatContext, cs: readonly Comment[], children: readonly Expr[], assemble: (docs: readonly Doc[]) => Doc): Doc {
  const { inside, rest } = partition(cs, children.map((c) => c.span));
  const docs = children.map((c, i) => exprDoc(ctx, c, inside[i] ?? []));
  return [assemble(docs), ...rest.map((c) => suffix(commentText(c)))];
}

function exprElement(ctx: FormatContext, e: Expr): Element {
  return { span: e.span, print: (cs) => exprDoc(ctx, e, cs) };
}

function argElement(ctx: FormatContext, a: Arg): Element {
  const name = a.name;
  if (name === undefined) return { span: a.span, print: (cs) => exprDoc(ctx, a.value, cs) };
  return { span: a.span, print: (cs) => withChildren(ctx, cs, [a.value], ([v]) => [name, ": ", v ?? ""]) };
}

function entryElement(ctx: FormatContext, e: Entry): Element {
  const s: Span = makeSpan(e.nameSpan.file, e.nameSpan.start, e.value.span.end);
  return { span: s, print: (cs) => withChildren(ctx, cs, [e.value], ([v]) => [e.name, ": ", v ?? ""]) };
}

function callArgs(ctx: FormatContext, args: readonly Arg[], cs: readonly Comment[]): Doc {
  return bracketed(ctx, PARENS, args.map((a) => argElement(ctx, a)), cs);
}

function stepElement(ctx: FormatContext, t: Transform): Element {
  if (t.kind === "where") {
    return { span: t.span, print: (cs) => withChildren(ctx, cs, [t.predicate], ([p]) => ["where ", p ?? ""]) };
  }
  const args = t.args;
  if (args === undefined) return { span: t.span, print: (cs) => [t.name, ...cs.map((c) => suffix(commentText(c)))] };
  return { span: t.span, print: (cs) => [t.name, callArgs(ctx, args, cs)] };
}

/** The source text of a node the parser could not build; only files with errors have these. */
function sourceOf(ctx: FormatContext, s: Span): string {
  return ctx.source.slice(s.start, s.end);
}

const COMPACT_OPS = new Set(["+", "-", "*", "/"]);

/**
 * Hole expressions are printed tight (`hybrid_{t-1}`), the way names read. Word operators
 * keep their spaces, and so does `%`, which would otherwise glue onto a number as its suffix.
 */
function holeText(ctx: FormatContext, e: Expr): string {
  switch (e.kind) {
    case "binary": {
      const op = COMPACT_OPS.has(e.op) ? e.op : ` ${e.op} `;
      return `${holeText(ctx, e.left)}${op}${holeText(ctx, e.right)}`;
    }
    case "unary":
      return e.op === "-" ? `-${holeText(ctx, e.operand)}` : `not ${holeText(ctx, e.operand)}`;
    default:
      return render(exprDoc(ctx, e, []), Number.POSITIVE_INFINITY);
  }
}

export function templateText(ctx: FormatContext, n: TemplateNameNode): string {
  return n.parts
    .map((p) => {
      if (p.kind === "text") return p.text;
      return p.expr.kind === "error" ? `{${p.raw}}` : `{${holeText(ctx, p.expr)}}`;
    })
    .join("");
}

/** The layout of one expression, with every comment in `cs` (those inside its span) placed. */
export function exprDoc(ctx: FormatContext, e: Expr, cs: readonly Comment[]): Doc {
  const leaf = (text: string): Doc => (cs.length === 0 ? text : [text, ...cs.map((c) => suffix(commentText(c)))]);
  switch (e.kind) {
    case "number":
    case "string":
    case "regex":
      return leaf(e.raw);
    case "bool":
      return leaf(e.value ? "true" : "false");
    case "name":
      return leaf(e.name);
    case "template":
      return leaf(templateText(ctx, e.name));
    case "error":
      // The slice already holds any comment inside it.
      return sourceOf(ctx, e.span);
    case "list":
      return bracketed(ctx, BRACKETS, e.items.map((i) => exprElement(ctx, i)), cs);
    case "record":
      return bracketed(ctx, BRACES, e.entries.map((x) => entryElement(ctx, x)), cs);
    case "paren":
      return withChildren(ctx, cs, [e.expr], ([x]) => ["(", x ?? "", ")"]);
    case "call": {
      const { inside, rest } = partition(cs, [e.callee.span]);
      return [exprDoc(ctx, e.callee, inside[0] ?? []), callArgs(ctx, e.args, rest)];
    }
    case "member":
      return withChildren(ctx, cs, [e.object], ([o]) => [o ?? "", ".", e.name]);
    case "index":
      return withChildren(ctx, cs, [e.object, e.index], ([o, i]) => [o ?? "", "[", i ?? "", "]"]);
    case "unary": {
      // `- -x`, not `--x`, which reads as a decrement.
      const op = e.op === "not" ? "not " : e.operand.kind === "unary" && e.operand.op === "-" ? "- " : "-";
      return withChildren(ctx, cs, [e.operand], ([o]) => [op, o ?? ""]);
    }
    case "binary":
      return withChildren(ctx, cs, [e.left, e.right], ([l, r]) => [l ?? "", ` ${e.op} `, r ?? ""]);
    case "ternary":
      return withChildren(ctx, cs, [e.cond, e.then, e.else], ([c, t, f]) => [c ?? "", " ? ", t ?? "", " : ", f ?? ""]);
    case "pipe":
      return pipeline(ctx, exprElement(ctx, e.source), e.steps.map((t) => stepElement(ctx, t)), cs);
    default:
      return unreachable(e);
  }
}
