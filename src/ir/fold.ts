/**
 * Constant folding of a binary operator over values known before the run, shared by value lowering
 * and row-expression lowering. Undefined when the operator does not apply (or divides by zero).
 */
export function foldBinary(op: string, a: unknown, b: unknown): number | boolean | undefined {
  if (op === "==") return a === b;
  if (op === "!=") return a !== b;
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
