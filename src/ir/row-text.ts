import type { RowExpr } from "./row-expr.js";

const PREC: Record<string, number> = { or: 1, and: 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6 };

/**
 * A row expression as text, with params already replaced by their values: what fingerprint records
 * keep and plans show ("quality >= 4"), so a changed threshold reads as a changed threshold.
 */
export function rowText(e: RowExpr, parent = 0): string {
  switch (e.op) {
    case "const":
      return typeof e.value === "string" ? JSON.stringify(e.value) : String(e.value);
    case "field":
      return e.name;
    case "regex":
      return `/${e.pattern}/${e.flags}`;
    case "unary":
      return e.fn === "-" ? `-${rowText(e.arg, 7)}` : `not ${rowText(e.arg, 3)}`;
    case "binary": {
      const p = PREC[e.fn] ?? 0;
      const text = `${rowText(e.left, p)} ${e.fn} ${rowText(e.right, p + 1)}`;
      return p < parent ? `(${text})` : text;
    }
    case "cond": {
      const text = `${rowText(e.test, 1)} ? ${rowText(e.then)} : ${rowText(e.else)}`;
      return parent > 0 ? `(${text})` : text;
    }
    case "call":
      return `${e.fn}(${e.args.map((a) => rowText(a)).join(", ")})`;
  }
}

export function isRowExpr(v: unknown): v is RowExpr {
  return typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as { op?: unknown }).op === "string" && ["const", "field", "regex", "unary", "binary", "cond", "call"].includes((v as { op: string }).op);
}
