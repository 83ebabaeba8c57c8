import type { Span } from "../diagnostics/span.js";

/** The parsed (unchecked) syntax tree. Every node carries the span it came from. */

export type NumberSuffix = "" | "K" | "M" | "B" | "T" | "%";

export type BinaryOp =
  | "+" | "-" | "*" | "/" | "%"
  | "==" | "!=" | "<" | "<=" | ">" | ">="
  | "and" | "or"
  | ">>" | "with" | "then"
  | "union" | "intersect" | "minus";

export type Expr =
  | { readonly kind: "number"; readonly value: number; readonly suffix: NumberSuffix; readonly raw: string; readonly span: Span }
  /** `parts`: inside a loop, a string with holes over its loop variables ("out/count_{t}.txt"). */
  | { readonly kind: "string"; readonly value: string; readonly raw: string; readonly span: Span; readonly parts?: readonly TemplatePart[] }
  | { readonly kind: "regex"; readonly pattern: string; readonly flags: string; readonly raw: string; readonly span: Span }
  | { readonly kind: "bool"; readonly value: boolean; readonly span: Span }
  | { readonly kind: "name"; readonly name: string; readonly span: Span }
  | { readonly kind: "template"; readonly name: TemplateNameNode; readonly span: Span }
  | { readonly kind: "list"; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: "record"; readonly entries: readonly Entry[]; readonly span: Span }
  | { readonly kind: "paren"; readonly expr: Expr; readonly span: Span }
  | { readonly kind: "call"; readonly callee: Expr; readonly args: readonly Arg[]; readonly span: Span }
  | { readonly kind: "member"; readonly object: Expr; readonly name: string; readonly nameSpan: Span; readonly span: Span }
  | { readonly kind: "index"; readonly object: Expr; readonly index: Expr; readonly span: Span }
  | { readonly kind: "unary"; readonly op: "-" | "not"; readonly operand: Expr; readonly span: Span }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly opSpan: Span; readonly span: Span }
  | { readonly kind: "ternary"; readonly cond: Expr; readonly then: Expr; readonly else: Expr; readonly span: Span }
  | { readonly kind: "pipe"; readonly source: Expr; readonly steps: readonly Transform[]; readonly span: Span }
  /** Stands where the parser recovered from an error; the error is already reported. */
  | { readonly kind: "error"; readonly span: Span };

export type ExprKind = Expr["kind"];
export type ExprOf<K extends ExprKind> = Extract<Expr, { kind: K }>;

export interface Entry {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Expr;
}

export interface Arg {
  readonly name?: string;
  readonly nameSpan?: Span;
  readonly value: Expr;
  readonly span: Span;
}

export type Transform =
  | { readonly kind: "where"; readonly predicate: Expr; readonly span: Span }
  | { readonly kind: "step"; readonly name: string; readonly nameSpan: Span; readonly args: readonly Arg[] | undefined; readonly span: Span };

export type TemplatePart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "hole"; readonly expr: Expr; readonly raw: string };

/** A declared name: plain (`vl`) or with holes filled per loop round (`hybrid_{t-1}`). */
export interface TemplateNameNode {
  readonly raw: string;
  readonly parts: readonly TemplatePart[];
  readonly span: Span;
}

export interface Field {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Expr;
  readonly span: Span;
}

export type DeclKind = "model" | "dataset" | "scorer" | "schedule" | "reward" | "param";

export type Item =
  | { readonly kind: "import"; readonly path: string; readonly pathSpan: Span; readonly names?: readonly { readonly name: string; readonly span: Span }[]; readonly span: Span }
  | { readonly kind: "pipeline"; readonly name: string; readonly nameSpan: Span; readonly fields: readonly Field[]; readonly span: Span; readonly broken?: boolean }
  | { readonly kind: "defaults"; readonly stageKind: string; readonly kindSpan: Span; readonly fields: readonly Field[]; readonly span: Span; readonly broken?: boolean }
  | { readonly kind: "decl"; readonly declKind: DeclKind; readonly keywordSpan: Span; readonly name: TemplateNameNode; readonly value: Expr; readonly frozen: boolean; readonly frozenSpan?: Span; readonly span: Span; readonly broken?: boolean }
  | { readonly kind: "stage"; readonly name: TemplateNameNode; readonly stageKind: string; readonly kindSpan: Span; readonly fields: readonly Field[]; readonly span: Span; readonly broken?: boolean }
  /** `for t in from..to { ... }`, or, without `to`, `for t in from { ... }` over a list of rounds. */
  | { readonly kind: "for"; readonly variable: string; readonly variableSpan: Span; readonly from: Expr; readonly to?: Expr; readonly body: readonly Item[]; readonly span: Span; readonly broken?: boolean };

export interface Comment {
  readonly text: string;
  readonly span: Span;
}

export interface Program {
  readonly file: string;
  readonly items: readonly Item[];
  readonly comments: readonly Comment[];
}

/**
 * Items are `broken` when a syntax error lies inside them: their names are still declared, but
 * their contents are not checked, since what the parser recovered is not what the user wrote.
 */
export function isPlainName(n: TemplateNameNode): boolean {
  return n.parts.every((p) => p.kind === "text");
}
