import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { span, type Span } from "../diagnostics/span.js";
import type { BinaryOp, Expr, Transform } from "./ast.js";

/** A flat operator chain as the parser reads it, in source order. */
export type Piece =
  | { readonly kind: "prefix"; readonly op: "-" | "not"; readonly span: Span }
  | { readonly kind: "operand"; readonly expr: Expr }
  | { readonly kind: "op"; readonly op: BinaryOp; readonly span: Span }
  | { readonly kind: "pipe"; readonly step: Transform };

/** Binding power, loosest first. `not` takes everything down to comparisons; unary minus binds tightest. */
export const PRECEDENCE: Readonly<Record<BinaryOp | "|", number>> = {
  union: 1, intersect: 1, minus: 1,
  "|": 2,
  then: 3,
  or: 4,
  and: 5,
  "==": 7, "!=": 7, "<": 7, "<=": 7, ">": 7, ">=": 7,
  with: 8,
  ">>": 9,
  "+": 10, "-": 10,
  "*": 11, "/": 11, "%": 11,
};
const NOT_OPERAND = 7;
const COMPARISON = 7;

const SPELLING: Readonly<Record<string, BinaryOp>> = { "&&": "and", "||": "or" };
export function binaryOpOf(image: string): BinaryOp {
  return SPELLING[image] ?? (image as BinaryOp);
}

/** Applies precedence to a chain (a Pratt parser over pieces). The chain is well-formed by the grammar. */
export class ChainBuilder {
  private i = 0;

  constructor(
    private readonly pieces: readonly Piece[],
    private readonly sink: DiagnosticSink,
    private readonly fallback: Span,
  ) {}

  build(): Expr {
    const e = this.expr(0);
    return e;
  }

  private peek(): Piece | undefined {
    return this.pieces[this.i];
  }

  private expr(minPrec: number): Expr {
    let left = this.unary();
    for (;;) {
      const p = this.peek();
      if (!p) return left;
      if (p.kind === "pipe") {
        if (PRECEDENCE["|"] < minPrec) return left;
        const steps: Transform[] = [];
        while (this.peek()?.kind === "pipe") steps.push((this.pieces[this.i++] as Extract<Piece, { kind: "pipe" }>).step);
        const last = steps[steps.length - 1]!;
        left = left.kind === "pipe"
          ? { kind: "pipe", source: left.source, steps: [...left.steps, ...steps], span: span(left.span.file, left.span.start, last.span.end) }
          : { kind: "pipe", source: left, steps, span: span(left.span.file, left.span.start, last.span.end) };
        continue;
      }
      if (p.kind !== "op") return left;
      const prec = PRECEDENCE[p.op];
      if (prec < minPrec) return left;
      this.i++;
      const right = this.expr(prec + 1);
      if (prec === COMPARISON && left.kind === "binary" && PRECEDENCE[left.op] === COMPARISON) {
        this.sink.report("SC1003", p.span, `comparisons cannot be chained: '${left.op}' then '${p.op}'`, { suggestion: "join them with 'and': a < b and b < c" });
      }
      left = { kind: "binary", op: p.op, left, right, opSpan: p.span, span: span(left.span.file, left.span.start, right.span.end) };
    }
  }

  private unary(): Expr {
    const p = this.peek();
    if (!p) return { kind: "error", span: this.fallback };
    if (p.kind === "prefix") {
      this.i++;
      const operand = p.op === "not" ? this.expr(NOT_OPERAND) : this.unary();
      return { kind: "unary", op: p.op, operand, span: span(p.span.file, p.span.start, Math.max(operand.span.end, p.span.end)) };
    }
    if (p.kind === "operand") {
      this.i++;
      return p.expr;
    }
    // An operator where an operand belongs: only after recovery; skip it.
    this.i++;
    return this.unary();
  }
}
