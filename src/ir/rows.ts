import { spanKey } from "../check/evaluate.js";
import type { Expr } from "../syntax/ast.js";
import type { LowerScope, Lowerer } from "./lower.js";
import { foldBinary } from "./fold.js";
import type { RowBinary, RowExpr, RowFn } from "./row-expr.js";

const ROW_FNS = new Set<string>(["min", "max", "exp", "log", "sqrt", "abs", "clamp", "len", "matches", "contains", "length_penalty"]);

/** A checked row expression (where, reward, penalty) with params and loop variables replaced by values. */
export function lowerRow(l: Lowerer, e: Expr, sc: LowerScope): RowExpr {
  switch (e.kind) {
    case "number":
    case "bool":
      return { op: "const", value: e.value };
    case "string":
      return { op: "const", value: e.value };
    case "regex":
      return { op: "regex", pattern: e.pattern, flags: e.flags };
    case "paren":
      return lowerRow(l, e.expr, sc);
    case "name": {
      if (l.program.rowFields.has(spanKey(e.span))) return { op: "field", name: e.name };
      const v = sc.env.get(e.name);
      if (v !== undefined) return { op: "const", value: v };
      const inst = l.program.symbols.get(e.name);
      if (inst?.item.kind === "decl" && inst.item.declKind === "reward") return lowerRow(l, inst.item.value, { env: inst.env, file: inst.file });
      const c = l.value(e, sc);
      return { op: "const", value: typeof c === "object" ? null : c };
    }
    case "unary": {
      const arg = lowerRow(l, e.operand, sc);
      // Constants are folded, so `rm >= t + 1` at t = 4 and `rm >= 5` are the same node.
      if (arg.op === "const" && e.op === "-" && typeof arg.value === "number") return { op: "const", value: -arg.value };
      if (arg.op === "const" && e.op === "not" && typeof arg.value === "boolean") return { op: "const", value: !arg.value };
      return { op: "unary", fn: e.op, arg };
    }
    case "binary": {
      const left = lowerRow(l, e.left, sc);
      const right = lowerRow(l, e.right, sc);
      if (left.op === "const" && right.op === "const") {
        const v = foldBinary(e.op, left.value, right.value);
        if (v !== undefined) return { op: "const", value: v };
      }
      return { op: "binary", fn: e.op as RowBinary, left, right };
    }
    case "ternary":
      return { op: "cond", test: lowerRow(l, e.cond, sc), then: lowerRow(l, e.then, sc), else: lowerRow(l, e.else, sc) };
    case "call": {
      const fn = e.callee.kind === "name" ? e.callee.name : "";
      if (!ROW_FNS.has(fn)) return { op: "const", value: null };
      return { op: "call", fn: fn as RowFn, args: e.args.map((a) => lowerRow(l, a.value, sc)) };
    }
    default: {
      const c = l.value(e, sc);
      return { op: "const", value: c === null || typeof c !== "object" ? c : null };
    }
  }
}
