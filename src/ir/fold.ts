import { canonicalJson } from "./canon.js";

/**
 * Constant folding of a binary operator over values known before the run, shared by value lowering
 * and row-expression lowering. Undefined when the operator does not apply (or divides by zero).
 */
export function foldBinary(op: string, a: unknown, b: unknown): number | boolean | undefined {
  if (op === "==") return same(a, b);
  if (op === "!=") return !same(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") {
    if (op === "and") return a && b;
    if (op === "or") return a || b;
  }
  if (typeof a !== "number" || typeof b !== "number") return undefined;
  switch (op) {
    case "+": return a + b;
    case "-": return a - b;
    case "*": return a * b;
    case "/": return b === 0 ? undefined : a / b;
    case "%": return b === 0 ? undefined : a % b;
    case "<": return a < b;
    case "<=": return a <= b;
    case ">": return a > b;
    case ">=": return a >= b;
    default: return undefined;
  }
}

/** Equality of values: lists and records by content, as written out canonically. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === "object" && a !== null && typeof b === "object" && b !== null && canonicalJson(a) === canonicalJson(b);
}
