import type { Expr, ExprOf } from "../syntax/ast.js";
import type { Checker } from "./checker.js";
import { evalExpr } from "./evaluate.js";
import type { Scope } from "./scope.js";
import { describeTy, UNKNOWN, type ModelInfo, type Ty } from "./types.js";

/** The operands of a left-associative `a >> b >> c`, in order. */
function chain(e: Expr): Expr[] {
  if (e.kind === "binary" && e.op === ">>") return [...chain(e.left), e.right];
  return [e];
}

/** `vit >> proj >> qwen`: parts in order; each joint's widths must agree where both are known. */
export function composeModels(c: Checker, e: ExprOf<"binary">, scope: Scope): Ty {
  const operands = chain(e);
  const models: { model: ModelInfo; expr: Expr }[] = [];
  let broken = false;
  for (const op of operands) {
    const ty = evalExpr(c, op, scope);
    if (ty.t === "model") models.push({ model: ty.model, expr: op });
    else {
      broken = true;
      if (ty.t !== "unknown") c.reportIn(scope, "SC2101", op.span, `'>>' composes models, and this is ${describeTy(ty)}`);
    }
  }
  if (broken) return UNKNOWN;
  for (let i = 1; i < models.length; i++) {
    const a = models[i - 1]!;
    const b = models[i]!;
    if (a.model.width !== undefined && b.model.inWidth !== undefined && a.model.width !== b.model.inWidth) {
      c.reportIn(scope, "SC2113", b.expr.span, `'${label(b.expr)}' takes inputs of width ${b.model.inWidth}, but '${label(a.expr)}' outputs width ${a.model.width}`, {
        suggestion: "an adapter between them must map one width to the other",
      });
    }
  }
  const parts = models.flatMap((m) => m.model.parts);
  const partWidths = new Map(models.flatMap((m) => [...(m.model.partWidths ?? new Map<string, { in?: number; out?: number }>())]));
  const frozen = new Set(models.flatMap((m) => [...m.model.frozen]));
  const params = models.every((m) => m.model.params !== undefined) ? models.reduce((s, m) => s + (m.model.params ?? 0), 0) : undefined;
  const first = models[0]?.model;
  const last = models[models.length - 1]?.model;
  return {
    t: "model",
    model: {
      parts,
      frozen,
      partWidths,
      ...(last?.width !== undefined ? { width: last.width } : {}),
      ...(first?.inWidth !== undefined ? { inWidth: first.inWidth } : {}),
      ...(params !== undefined ? { params } : {}),
    },
  };
}

function label(e: Expr): string {
  if (e.kind === "name") return e.name;
  if (e.kind === "template") return e.name.raw;
  return "this model";
}

/** The part a `with` takes out, when written as a plain name. */
export function replaceLabel(e: Expr): string | undefined {
  if (e.kind === "name") return e.name;
  if (e.kind === "template") return e.name.raw;
  return undefined;
}

export interface ModelShape {
  readonly width?: number | undefined;
  readonly inWidth?: number | undefined;
  readonly params?: number | undefined;
}

export function modelTy(shape: ModelShape): Ty {
  return {
    t: "model",
    model: {
      parts: [],
      frozen: new Set(),
      ...(shape.width !== undefined ? { width: shape.width } : {}),
      ...(shape.inWidth !== undefined ? { inWidth: shape.inWidth } : {}),
      ...(shape.params !== undefined ? { params: shape.params } : {}),
    },
  };
}
