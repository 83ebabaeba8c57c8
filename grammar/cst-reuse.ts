import type { CstElement, CstNode, IToken } from "chevrotain";

/**
 * Reuse of parse trees across items of the same shape. The parser's decisions read token types only
 * (no gates, no actions), so two items whose tokens have the same types, in the same order, get
 * trees of the same structure that differ only in which token sits at each leaf. Large generated
 * pipelines are thousands of items of a few shapes; for those, the tree of a shape is parsed once
 * and then instantiated with each item's own tokens, which skips the parser's machinery (lookahead,
 * recovery bookkeeping) for every later item.
 *
 * Only trees parsed without errors become templates: recovery inserts and skips tokens, and error
 * messages quote token text, so an item with errors is always parsed for itself.
 */

/** A tree with each token replaced by its index in the item's token list. */
interface Shape {
  readonly name: string;
  readonly children: readonly (readonly [string, readonly (Shape | number)[]])[];
  /** Indices of the node's first and last token; -1 for a node that holds no token. */
  readonly first: number;
  readonly last: number;
}

function shapeOf(node: CstNode, index: ReadonlyMap<IToken, number>): Shape | undefined {
  const children: [string, (Shape | number)[]][] = [];
  let first = Infinity;
  let last = -1;
  for (const [key, elements] of Object.entries(node.children)) {
    const out: (Shape | number)[] = [];
    for (const e of elements) {
      if ("tokenType" in e) {
        const i = index.get(e);
        if (i === undefined) return undefined; // a token not from the item: never reuse such a tree
        out.push(i);
        first = Math.min(first, i);
        last = Math.max(last, i);
      } else {
        const s = shapeOf(e, index);
        if (!s) return undefined;
        out.push(s);
        if (s.first >= 0) {
          first = Math.min(first, s.first);
          last = Math.max(last, s.last);
        }
      }
    }
    children.push([key, out]);
  }
  return { name: node.name, children, first: last < 0 ? -1 : first, last };
}

function instantiate(s: Shape, tokens: readonly IToken[]): CstNode {
  const children: Record<string, CstElement[]> = {};
  for (const [key, elements] of s.children) {
    const out: CstElement[] = new Array(elements.length);
    for (let k = 0; k < elements.length; k++) {
      const e = elements[k]!;
      out[k] = typeof e === "number" ? tokens[e]! : instantiate(e, tokens);
    }
    children[key] = out;
  }
  const location =
    s.first < 0
      ? { startOffset: NaN, endOffset: NaN }
      : { startOffset: tokens[s.first]!.startOffset, endOffset: tokens[s.last]!.endOffset ?? NaN };
  return { name: s.name, children, location };
}

/** The key two items share exactly when their token types are the same sequence. */
export function shapeKey(tokens: readonly IToken[]): string {
  let key = "";
  for (const t of tokens) key += `${t.tokenTypeIdx},`;
  return key;
}

/**
 * Trees by shape, for one file. A shape becomes a template the second time it is seen, so a file of
 * distinct items pays only for the keys.
 */
export class CstReuse {
  private readonly seen = new Set<string>();
  private readonly templates = new Map<string, Shape>();

  /** A tree for `tokens` built from a template, when one exists for their shape. */
  reuse(key: string, tokens: readonly IToken[]): CstNode | undefined {
    const s = this.templates.get(key);
    return s ? instantiate(s, tokens) : undefined;
  }

  /** Offers a tree the parser built without errors from `tokens`. */
  offer(key: string, tokens: readonly IToken[], cst: CstNode): void {
    if (!this.seen.has(key)) {
      this.seen.add(key);
      return;
    }
    if (this.templates.has(key)) return;
    const index = new Map<IToken, number>();
    tokens.forEach((t, i) => index.set(t, i));
    const s = shapeOf(cst, index);
    if (s) this.templates.set(key, s);
  }
}
