import type { Span } from "../diagnostics/span.js";
import type { Comment } from "../syntax/ast.js";
import { commentText, hasOwnComments, isOwnLine, place, type FormatContext } from "./comments.js";
import { group, hardline, indent, line, softline, suffix, type Doc } from "./doc.js";

/** One element of a breakable run; it prints the comments that fall inside its span. */
export interface Element {
  readonly span: Span;
  readonly print: (cs: readonly Comment[]) => Doc;
}

function ownLines(cs: readonly Comment[]): Doc[] {
  return cs.flatMap((c) => [commentText(c), hardline]);
}

function suffixes(cs: readonly Comment[]): Doc[] {
  return cs.map((c) => suffix(commentText(c)));
}

export interface Brackets {
  readonly open: string;
  readonly close: string;
  /** Records keep a space inside their braces when flat: `{ a: 1 }`. */
  readonly padded: boolean;
}

/**
 * `[a, b]`, `f(a, b)`, `{ a: 1 }`: flat when it fits, else one element per line, indented 2,
 * with the closer on its own line. No trailing comma: the grammar does not allow one.
 * A comment between elements forces the broken form, so it stays beside its element.
 */
export function bracketed(ctx: FormatContext, b: Brackets, elems: readonly Element[], cs: readonly Comment[]): Doc {
  if (elems.length === 0 && cs.length === 0) return b.open + b.close;
  const p = place(ctx, elems.map((e) => e.span), cs, (c) => !isOwnLine(ctx, c));
  const body: Doc[] = [];
  elems.forEach((e, i) => {
    if (i > 0) body.push(line);
    body.push(...ownLines(p.leading[i] ?? []), e.print(p.inner[i] ?? []));
    if (i < elems.length - 1) body.push(",");
    body.push(...suffixes(p.trailing[i] ?? []));
  });
  p.closing.forEach((c, i) => {
    if (elems.length > 0 || i > 0) body.push(hardline);
    body.push(commentText(c));
  });
  const edge = b.padded ? line : softline;
  const inner: Doc = body.length > 0 ? [indent(2, [edge, ...body]), edge] : softline;
  return group([b.open, ...suffixes(p.opening), inner, b.close], hasOwnComments(p));
}

/**
 * `src | where q >= 4 | top(200K)`: flat when it fits, else the source on the first line and
 * each step on its own line after `|`, indented 4 (twice a block's indent, so steps never
 * line up with the fields around them).
 */
export function pipeline(ctx: FormatContext, source: Element, steps: readonly Element[], cs: readonly Comment[]): Doc {
  const all = [source, ...steps];
  const p = place(ctx, all.map((e) => e.span), cs, () => true);
  const rest: Doc[] = steps.map((s, k) => {
    const i = k + 1;
    // A step that breaks (long arguments) indents past its `| `, so its closer lines up with its name.
    return [line, ...ownLines(p.leading[i] ?? []), "| ", indent(2, s.print(p.inner[i] ?? [])), ...suffixes(p.trailing[i] ?? [])];
  });
  // A pipe's span starts at its source and ends at its last step, so comments can only fall
  // between elements; anything else is kept at the end of a line all the same.
  const stray = [...p.opening, ...(p.leading[0] ?? []), ...p.closing];
  const head: Doc[] = [...suffixes(stray), source.print(p.inner[0] ?? []), ...suffixes(p.trailing[0] ?? [])];
  return group([...head, indent(4, rest)], hasOwnComments(p));
}
