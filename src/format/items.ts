import type { Span } from "../diagnostics/span.js";
import type { Comment, Field, Item } from "../syntax/ast.js";
import { blankLineBetween, commentText, partition, place, sameLine, type FormatContext } from "./comments.js";
import { hardline, indent, suffix, type Doc } from "./doc.js";
import { exprDoc, templateText } from "./expr.js";
import type { Element } from "./sequence.js";

/** Block bodies are indented by this much per level. */
const BLOCK_INDENT = 2;

function suffixes(cs: readonly Comment[]): Doc[] {
  return cs.map((c) => suffix(commentText(c)));
}

interface Line {
  readonly start: number;
  readonly end: number;
  readonly doc: Doc;
}

/**
 * One statement (item or field) per line, comments before a statement on their own lines,
 * comments after it on its line, and one empty line wherever the source had at least one.
 * `openLine` picks the comments that stay on the line opening the run (a block's header).
 */
function statements(ctx: FormatContext, elems: readonly Element[], cs: readonly Comment[], openLine: (c: Comment) => boolean): { readonly body: Doc[]; readonly opening: readonly Comment[] } {
  const p = place(ctx, elems.map((e) => e.span), cs, openLine);
  const lines: Line[] = [];
  const own = (c: Comment): Line => ({ start: c.span.start, end: c.span.end, doc: commentText(c) });
  elems.forEach((e, i) => {
    lines.push(...(p.leading[i] ?? []).map(own));
    lines.push({ start: e.span.start, end: e.span.end, doc: [e.print(p.inner[i] ?? []), ...suffixes(p.trailing[i] ?? [])] });
  });
  lines.push(...p.closing.map(own));
  const body: Doc[] = [];
  lines.forEach((l, i) => {
    const prev = lines[i - 1];
    if (prev !== undefined) {
      body.push(hardline);
      if (blankLineBetween(ctx, prev.end, l.start)) body.push(hardline);
    }
    body.push(l.doc);
  });
  return { body, opening: p.opening };
}

/** `header {` … `}`, or `header {}` when there is nothing inside. */
function block(ctx: FormatContext, item: Item, header: Doc, elems: readonly Element[], cs: readonly Comment[]): Doc {
  const onHeader = (c: Comment): boolean => sameLine(ctx, item.span.start, c.span.start);
  const { body, opening } = statements(ctx, elems, cs, onHeader);
  if (body.length === 0) return [header, " {}", ...suffixes(opening)];
  return [header, " {", ...suffixes(opening), indent(BLOCK_INDENT, [hardline, ...body]), hardline, "}"];
}

function fieldElement(ctx: FormatContext, f: Field): Element {
  return {
    span: f.span,
    print: (cs) => {
      const { inside, rest } = partition(cs, [f.value.span]);
      return [f.name, " = ", exprDoc(ctx, f.value, inside[0] ?? []), ...suffixes(rest)];
    },
  };
}

function fieldBlock(ctx: FormatContext, item: Item, header: Doc, fields: readonly Field[], cs: readonly Comment[]): Doc {
  return block(ctx, item, header, fields.map((f) => fieldElement(ctx, f)), cs);
}

/** The source text of a token the AST keeps only decoded (import paths). */
function raw(ctx: FormatContext, s: Span): string {
  return ctx.source.slice(s.start, s.end);
}

function itemDoc(ctx: FormatContext, item: Item, cs: readonly Comment[]): Doc {
  switch (item.kind) {
    case "import": {
      const path = raw(ctx, item.pathSpan);
      const head = item.names === undefined ? `import ${path}` : `from ${path} import ${item.names.map((n) => n.name).join(", ")}`;
      return [head, ...suffixes(cs)];
    }
    case "decl": {
      const { inside, rest } = partition(cs, [item.value.span]);
      const name = templateText(ctx, item.name);
      return [`${item.declKind} ${name} = `, exprDoc(ctx, item.value, inside[0] ?? []), item.frozen ? " frozen" : "", ...suffixes(rest)];
    }
    case "pipeline":
      return fieldBlock(ctx, item, `pipeline ${item.name}`, item.fields, cs);
    case "defaults":
      return fieldBlock(ctx, item, `defaults ${item.stageKind}`, item.fields, cs);
    case "stage":
      return fieldBlock(ctx, item, `stage ${templateText(ctx, item.name)} : ${item.stageKind}`, item.fields, cs);
    case "for": {
      // Comments in the loop header are placed with the header line, not inside its bounds.
      const header: Doc = item.to
        ? [`for ${item.variable} in `, exprDoc(ctx, item.from, []), "..", exprDoc(ctx, item.to, [])]
        : [`for ${item.variable} in `, exprDoc(ctx, item.from, [])];
      return block(ctx, item, header, item.body.map((i) => itemElement(ctx, i)), cs);
    }
    default:
      return unreachable(item);
  }
}

function unreachable(x: never): never {
  throw new Error(`unexpected item ${JSON.stringify(x)}`);
}

function itemElement(ctx: FormatContext, item: Item): Element {
  return { span: item.span, print: (cs) => itemDoc(ctx, item, cs) };
}

/** The whole file: top-level items, with every comment of the file placed among them. */
export function fileDoc(ctx: FormatContext, items: readonly Item[], comments: readonly Comment[]): Doc {
  return statements(ctx, items.map((i) => itemElement(ctx, i)), comments, () => false).body;
}
