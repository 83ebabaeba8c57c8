import type { Span } from "../diagnostics/span.js";
import type { Comment } from "../syntax/ast.js";

/**
 * Where each comment goes. Comments are attached by source offsets alone: the node whose span
 * holds a comment owns it, and a node hands every comment it receives either to one child or
 * to the output, so none can be lost or printed twice.
 */

export interface FormatContext {
  readonly source: string;
}

/** Comment text as printed: trailing spaces carry nothing. */
export function commentText(c: Comment): string {
  return c.text.trimEnd();
}

/** True when nothing but whitespace stands before the comment on its line. */
export function isOwnLine(ctx: FormatContext, c: Comment): boolean {
  for (let i = c.span.start - 1; i >= 0; i--) {
    const ch = ctx.source.charAt(i);
    if (ch === "\n") return true;
    if (ch !== " " && ch !== "\t" && ch !== "\r" && ch !== "\f" && ch !== "\v") return false;
  }
  return true;
}

export function sameLine(ctx: FormatContext, from: number, to: number): boolean {
  return from <= to && !ctx.source.slice(from, to).includes("\n");
}

/** The source had at least one empty line between two offsets. */
export function blankLineBetween(ctx: FormatContext, from: number, to: number): boolean {
  return from < to && /\n[ \t\r\f\v]*\n/.test(ctx.source.slice(from, to));
}

interface Location {
  /** The span holding the offset, or -1. */
  readonly inside: number;
  /** The last span ending at or before the offset, or -1. */
  readonly prev: number;
  /** The first span starting after the offset, or -1. */
  readonly next: number;
}

/**
 * Finds where offsets fall among spans. Sibling spans come in source order without overlap, so
 * a binary search does; the linear scan is kept for trees rebuilt after syntax errors.
 */
function locator(spans: readonly Span[]): (at: number) => Location {
  const ordered = spans.every((s, i) => i === 0 || s.start >= spans[i - 1]!.end);
  if (!ordered) {
    return (at) => {
      const inside = spans.findIndex((s) => at >= s.start && at < s.end);
      let prev = -1;
      spans.forEach((s, i) => {
        if (s.end <= at) prev = i;
      });
      return { inside, prev, next: spans.findIndex((s) => s.start > at) };
    };
  }
  return (at) => {
    let lo = 0;
    let hi = spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (spans[mid]!.start <= at) lo = mid + 1;
      else hi = mid;
    }
    const k = lo - 1;
    const last = spans[k];
    const inside = last !== undefined && at < last.end ? k : -1;
    return { inside, prev: last !== undefined && last.end <= at ? k : -1, next: lo < spans.length ? lo : -1 };
  };
}

/** Splits comments into those inside each span and the rest, in order. */
export function partition(cs: readonly Comment[], spans: readonly Span[]): { readonly inside: readonly Comment[][]; readonly rest: readonly Comment[] } {
  const inside: Comment[][] = spans.map(() => []);
  const rest: Comment[] = [];
  if (cs.length === 0) return { inside, rest };
  const locate = locator(spans);
  for (const c of cs) {
    const i = locate(c.span.start).inside;
    if (i >= 0) inside[i]!.push(c);
    else rest.push(c);
  }
  return { inside, rest };
}

/** Comments that belong to a run of elements: list items, call arguments, pipe steps, block fields. */
export interface Placement {
  /** Inside element i's span: element i prints them. */
  readonly inner: readonly Comment[][];
  /** On their own lines before element i. */
  readonly leading: readonly Comment[][];
  /** After element i, on its line. */
  readonly trailing: readonly Comment[][];
  /** Before the first element, on the line that opens the run. */
  readonly opening: readonly Comment[];
  /** On their own lines after the last element. */
  readonly closing: readonly Comment[];
}

/**
 * Attaches comments to a run of elements. `openLine` says whether a comment sharing the line of
 * whatever precedes the first element stays there (true for brackets and block headers).
 */
export function place(ctx: FormatContext, spans: readonly Span[], cs: readonly Comment[], openLine: (c: Comment) => boolean): Placement {
  const inner: Comment[][] = spans.map(() => []);
  const leading: Comment[][] = spans.map(() => []);
  const trailing: Comment[][] = spans.map(() => []);
  const opening: Comment[] = [];
  const closing: Comment[] = [];
  const locate = locator(spans);
  for (const c of cs) {
    const { inside, prev, next } = locate(c.span.start);
    if (inside >= 0) inner[inside]!.push(c);
    else if (prev >= 0 && sameLine(ctx, spans[prev]!.end, c.span.start)) trailing[prev]!.push(c);
    else if (prev < 0 && openLine(c)) opening.push(c);
    else if (next >= 0) leading[next]!.push(c);
    else closing.push(c);
  }
  return { inner, leading, trailing, opening, closing };
}

/** Whether a placement put any comment around (not inside) the elements. */
export function hasOwnComments(p: Placement): boolean {
  return p.opening.length > 0 || p.closing.length > 0 || p.leading.some((l) => l.length > 0) || p.trailing.some((t) => t.length > 0);
}
