/**
 * Row expressions after checking: what a `where`, a reward or a repetition penalty computes for one
 * row. Params and loop variables are already replaced by their values, so the canonical JSON of a
 * RowExpr is what fingerprints hash: renaming a param or reformatting the file changes nothing.
 */
export type RowValue = number | string | boolean | null;

export type RowFn =
  | "min" | "max" | "exp" | "log" | "sqrt" | "abs" | "clamp" | "len"
  | "matches" | "contains" | "length_penalty";

export type RowBinary = "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "and" | "or";

export type RowExpr =
  | { readonly op: "const"; readonly value: RowValue }
  | { readonly op: "field"; readonly name: string }
  | { readonly op: "unary"; readonly fn: "-" | "not"; readonly arg: RowExpr }
  | { readonly op: "binary"; readonly fn: RowBinary; readonly left: RowExpr; readonly right: RowExpr }
  | { readonly op: "cond"; readonly test: RowExpr; readonly then: RowExpr; readonly else: RowExpr }
  | { readonly op: "call"; readonly fn: RowFn; readonly args: readonly RowExpr[] }
  | { readonly op: "regex"; readonly pattern: string; readonly flags: string };
