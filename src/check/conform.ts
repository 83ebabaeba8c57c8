import type { Span } from "../diagnostics/span.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Expr } from "../syntax/ast.js";
import type { Checker } from "./checker.js";
import { evalExpr } from "./evaluate.js";
import type { Expect, FieldSpec } from "./schema.js";
import type { Scope } from "./scope.js";
import { describeTy, formatNumber, UNKNOWN, type Ty } from "./types.js";

function rangeText(x: Extract<Expect, { is: "number" }>): string {
  const lo = x.min === undefined ? "" : x.minExclusive ? `greater than ${x.min}` : `at least ${x.min}`;
  const hi = x.max === undefined ? "" : x.maxExclusive ? `below ${x.max}` : `at most ${x.max}`;
  return [lo, hi].filter(Boolean).join(" and ");
}

/** Checks a number against its expectation: unit, whole-ness and range. */
function checkNumber(c: Checker, ty: Extract<Ty, { t: "number" }>, x: Extract<Expect, { is: "number" }>, span: Span, label: string, scope: Scope): void {
  if (x.unit === "count" && ty.unit === "ratio") {
    c.reportIn(scope, "SC2103", span, `${label} is a count, so a percentage does not fit here`, { suggestion: "write a number such as 512 or 16K" });
    return;
  }
  if (x.integer && ty.unit === "ratio") {
    c.reportIn(scope, "SC2103", span, `${label} is a whole number, so a percentage does not fit here`);
    return;
  }
  const v = ty.value;
  if (v === undefined) return;
  if (x.unit === "ratio" && ty.unit !== "ratio" && v >= 1 && x.max !== undefined && x.max <= 1) {
    c.reportIn(scope, "SC2103", span, `${label} is a fraction below 1, and ${formatNumber(v)} is not`, { suggestion: `did you mean ${formatNumber(v)}%?` });
    return;
  }
  if (x.integer && !Number.isInteger(v)) {
    c.reportIn(scope, "SC2102", span, `${label} must be a whole number, got ${v}`);
    return;
  }
  const low = x.min !== undefined && (x.minExclusive ? v <= x.min : v < x.min);
  const high = x.max !== undefined && (x.maxExclusive ? v >= x.max : v > x.max);
  if (low || high) c.reportIn(scope, "SC2102", span, `${label} must be ${rangeText(x)}, got ${formatNumber(v)}`);
}

/** Evaluates `e` and checks it is what `x` asks for. Returns the value's type (unknown after an error). */
export function conform(c: Checker, e: Expr, x: Expect, label: string, scope: Scope): Ty {
  const ty = evalExpr(c, e, scope);
  return conformTy(c, ty, e, x, label, scope);
}

export function conformTy(c: Checker, ty: Ty, e: Expr, x: Expect, label: string, scope: Scope): Ty {
  if (ty.t === "unknown") return ty;
  const wrong = (what: string, suggestion?: string): Ty => {
    c.reportIn(scope, "SC2101", e.span, `${label} must be ${what}, not ${describeTy(ty)}`, { suggestion });
    return UNKNOWN;
  };
  switch (x.is) {
    case "number":
      if (ty.t !== "number") return wrong("a number");
      checkNumber(c, ty, x, e.span, label, scope);
      return ty;
    case "row-number":
      if (ty.t === "number" || ty.t === "bool") return ty;
      return wrong("a number");
    case "row-bool":
      if (ty.t === "bool") return ty;
      return wrong("a condition (true or false)");
    case "string":
      if (ty.t !== "string") return wrong("a string", ty.t === "model" || ty.t === "dataset" ? 'quote it: "..."' : undefined);
      if (x.oneOf && ty.value !== undefined && !x.oneOf.includes(ty.value)) {
        c.reportIn(scope, "SC2102", e.span, `${label} must be one of ${x.oneOf.map((o) => `"${o}"`).join(", ")}, got "${ty.value}"`, {
          suggestion: didYouMean(ty.value, x.oneOf),
        });
      }
      return ty;
    case "bool":
      return ty.t === "bool" ? ty : wrong("true or false");
    case "regex":
      return ty.t === "regex" ? ty : wrong("a regular expression /.../");
    case "lr":
      if (ty.t === "number") {
        checkNumber(c, ty, { is: "number", min: 0, minExclusive: true }, e.span, label, scope);
        return ty;
      }
      return ty.t === "schedule" ? ty : wrong("a learning rate: a number or a schedule");
    case "model":
      return ty.t === "model" ? ty : wrong("a model", ty.t === "eval" ? "an eval stage yields results, not a model" : undefined);
    case "model-stage":
      if (ty.t === "model" && ty.stage !== undefined) return ty;
      if (ty.t === "model") return wrong("a stage that trains a model", "a declared model is written `model = ...`; `from` names an earlier stage");
      return wrong("a stage that trains a model");
    case "dataset":
      if (ty.t === "dataset") return ty;
      return wrong("a dataset", ty.t === "eval" ? `use ${exprText(e)}.failures or ${exprText(e)}.successes` : undefined);
    case "scorer":
      return ty.t === "scorer" ? ty : wrong("a scorer");
    case "reward":
      if (ty.t === "reward") return ty;
      if (ty.t === "bool" || ty.t === "number") return { t: "reward", of: ty.t };
      if (ty.t === "scorer") return { t: "reward", of: "number" };
      c.reportIn(scope, "SC2106", e.span, `${label} must be numeric or boolean, not ${describeTy(ty)}`);
      return UNKNOWN;
    case "replace":
      return ty.t === "replace" ? ty : wrong("a replacement: old with new");
    case "parts":
    case "stages":
    case "inputs":
    case "list": {
      if (ty.t !== "list") return wrong("a list [...]");
      const items = e.kind === "list" ? e.items : [];
      ty.items.forEach((item, i) => {
        const ie = items[i] ?? e;
        if (x.is === "list") conformTy(c, item, ie, x.of, `each item of ${label}`, scope);
        else if (x.is === "stages" && item.t !== "unknown" && !isStageTy(item)) {
          c.reportIn(scope, "SC2101", ie.span, `each item of ${label} must be a stage, not ${describeTy(item)}`);
        } else if (x.is === "inputs" && !["string", "dataset", "model", "eval", "files", "unknown"].includes(item.t)) {
          c.reportIn(scope, "SC2101", ie.span, `each item of ${label} must be a path, a dataset or a stage, not ${describeTy(item)}`);
        } else if (x.is === "parts" && item.t !== "model" && item.t !== "unknown") {
          c.reportIn(scope, "SC2101", ie.span, `each item of ${label} must name a part of the model, not ${describeTy(item)}`);
        }
      });
      return ty;
    }
    case "record": {
      if (ty.t !== "record") return wrong("a record { name: value, ... }");
      if (x.fields && e.kind === "record") conformRecord(c, e, x.fields, label, scope);
      return ty;
    }
  }
}

function isStageTy(ty: Ty): boolean {
  return (ty.t === "model" && ty.stage !== undefined) || ty.t === "eval" || ty.t === "files" || (ty.t === "dataset" && ty.data.label?.startsWith("stage") === true);
}

function conformRecord(c: Checker, e: Extract<Expr, { kind: "record" }>, fields: Readonly<Record<string, FieldSpec>>, label: string, scope: Scope): void {
  for (const en of e.entries) {
    const spec = fields[en.name];
    if (!spec) {
      c.reportIn(scope, "SC2007", en.nameSpan, `${label} has no entry '${en.name}'`, {
        suggestion: didYouMean(en.name, Object.keys(fields)) ?? `entries: ${Object.keys(fields).join(", ")}`,
      });
      continue;
    }
    conform(c, en.value, spec.expect, `${label}.${en.name}`, scope);
  }
}

export function exprText(e: Expr): string {
  if (e.kind === "name") return e.name;
  if (e.kind === "template") return e.name.raw;
  return "the stage";
}
