import { didYouMean } from "../diagnostics/suggest.js";
import type { Arg, Expr, ExprOf, Transform } from "../syntax/ast.js";
import { DISTILL_FIELDS, TRANSFORMS, type ParamSpec } from "./builtins.js";
import { bindArgs } from "./calls.js";
import type { Checker } from "./checker.js";
import { conformTy } from "./conform.js";
import { evalExpr } from "./evaluate.js";
import { STAGE_KINDS } from "./schema.js";
import type { RowScope, Scope } from "./scope.js";
import { describeTy, formatNumber, UNKNOWN, type DatasetInfo, type Ty } from "./types.js";

const countOrFraction: ParamSpec = { name: "n", expect: { is: "number", min: 0, minExclusive: true }, required: true, doc: "rows, or a fraction such as 10%" };
const field = (name: string, doc: string, required = true): ParamSpec => ({ name, expect: { is: "row-number" }, required, namedOnly: true, doc });
const other: ParamSpec = { name: "other", expect: { is: "dataset" }, required: true, doc: "the other dataset" };

/** Parameters of the transforms that take ordinary arguments. */
const STEP_PARAMS: Readonly<Record<string, readonly ParamSpec[]>> = {
  take: [countOrFraction],
  top: [countOrFraction, field("by", "the field to rank by")],
  sample: [countOrFraction, { name: "seed", expect: { is: "number", min: 0, integer: true }, namedOnly: true, doc: "sampling seed" }],
  dedupe: [field("by", "the field whose repeats are dropped")],
  union: [other, field("by", "the key field", false)],
  intersect: [other, field("by", "the key field", false)],
  minus: [other, field("by", "the key field", false)],
  distill: Object.entries(STAGE_KINDS["distill"]?.fields ?? {})
    .filter(([k]) => k !== "data" && k !== "after" && k !== "resources" && k !== "seed")
    .map(([k, f]) => ({ name: k, expect: f.expect, namedOnly: true, doc: f.doc, ...(f.required ? { required: true } : {}) })),
};

export function asDataset(c: Checker, ty: Ty, e: Expr, scope: Scope, label: string): DatasetInfo | undefined {
  if (ty.t === "dataset") return ty.data;
  if (ty.t === "unknown") return undefined;
  const hint = ty.t === "eval" ? `use ${e.kind === "name" ? e.name : e.kind === "template" ? e.name.raw : "it"}.failures or .successes` : undefined;
  c.reportIn(scope, "SC2101", e.span, `${label} must be a dataset, not ${describeTy(ty)}`, { suggestion: hint });
  return undefined;
}

function rowScope(data: DatasetInfo | undefined): RowScope {
  return { fields: data?.fields, what: data?.label ? `rows of ${data.label}` : "these rows" };
}

/** `a union b`, `a minus b`: rows by key; the fields known afterwards are those both sides have. */
export function evalSetOp(c: Checker, e: ExprOf<"binary">, scope: Scope): Ty {
  const l = asDataset(c, evalExpr(c, e.left, scope), e.left, scope, `the left side of '${e.op}'`);
  const r = asDataset(c, evalExpr(c, e.right, scope), e.right, scope, `the right side of '${e.op}'`);
  if (!l || !r) return UNKNOWN;
  return { t: "dataset", data: combine(e.op, l, r) };
}

function combine(op: string, l: DatasetInfo, r: DatasetInfo): DatasetInfo {
  const fields = l.fields && r.fields ? new Set([...l.fields].filter((f) => op !== "union" || r.fields!.has(f))) : op === "union" ? undefined : l.fields;
  const rows = op === "union" ? (l.rows !== undefined && r.rows !== undefined ? l.rows + r.rows : undefined) : l.rows;
  return { fields, ...(rows !== undefined ? { rows } : {}) };
}

export function evalPipe(c: Checker, e: ExprOf<"pipe">, scope: Scope): Ty {
  const src = evalExpr(c, e.source, scope);
  let data = asDataset(c, src, e.source, scope, "the start of a '|' chain");
  if (!data) {
    for (const s of e.steps) if (s.kind === "step" && !TRANSFORMS[s.name]) reportUnknownStep(c, s, scope);
    return UNKNOWN;
  }
  for (const step of e.steps) {
    data = applyStep(c, step, data, scope);
    if (!data) return UNKNOWN;
  }
  return { t: "dataset", data };
}

function reportUnknownStep(c: Checker, s: Extract<Transform, { kind: "step" }>, scope: Scope): void {
  c.reportIn(scope, "SC2008", s.nameSpan, `unknown data transform '${s.name}'`, {
    suggestion: didYouMean(s.name, Object.keys(TRANSFORMS)) ?? `transforms: ${Object.keys(TRANSFORMS).join(", ")}`,
  });
}

/** Checks that a field argument names a field of the rows: `by: quality`. */
function checkFieldArg(c: Checker, arg: Arg, data: DatasetInfo, scope: Scope): void {
  if (arg.value.kind !== "name" && arg.value.kind !== "string") {
    c.reportIn(scope, "SC2105", arg.value.span, "this must name a row field");
    return;
  }
  const name = arg.value.kind === "name" ? arg.value.name : arg.value.value;
  if (data.fields && !data.fields.has(name)) {
    c.reportIn(scope, "SC2009", arg.value.span, `${rowScope(data).what} have no field '${name}'`, {
      suggestion: didYouMean(name, data.fields) ?? `fields: ${[...data.fields].sort().join(", ")}`,
    });
  }
}

function applyStep(c: Checker, s: Transform, data: DatasetInfo, scope: Scope): DatasetInfo | undefined {
  const rows = rowScope(data);
  if (s.kind === "where") {
    const ty = evalExpr(c, s.predicate, { ...scope, row: rows });
    if (ty.t !== "bool" && ty.t !== "unknown") c.reportIn(scope, "SC2101", s.predicate.span, `'where' needs a condition, not ${describeTy(ty)}`);
    // Filtering keeps the fields, and the row count stays an upper bound.
    return data;
  }
  if (!TRANSFORMS[s.name]) {
    reportUnknownStep(c, s, scope);
    return undefined;
  }
  const args = s.args ?? [];
  if (s.name === "score") return scoreStep(c, s, args, data, scope);
  if (s.name === "normalize") {
    if (args.length === 0) c.reportIn(scope, "SC2105", s.span, "normalize() needs the fields to normalise");
    for (const a of args) {
      if (a.name !== undefined) c.reportIn(scope, "SC2105", a.nameSpan ?? a.span, "normalize() takes field names only");
      checkFieldArg(c, a, data, scope);
    }
    return data;
  }
  const params = STEP_PARAMS[s.name] ?? [];
  // Field arguments are names of row fields, not expressions over globals: bind the rest normally.
  const fieldArgs = args.filter((a) => a.name === "by");
  for (const a of fieldArgs) checkFieldArg(c, a, data, scope);
  const penalty = args.find((a) => a.name === "repetition_penalty");
  if (penalty) conformTy(c, evalExpr(c, penalty.value, { ...scope, row: rows }), penalty.value, { is: "row-number" }, "repetition_penalty", scope);
  const plain = args.filter((a) => a !== penalty && a.name !== "by");
  const b = bindArgs(c, s.name, params.filter((p) => p.name !== "by" && p.name !== "repetition_penalty"), plain, s.span, scope);
  if (!b.ok) return undefined;
  if (s.name === "top" && fieldArgs.length === 0) c.reportIn(scope, "SC2105", s.span, "top() needs 'by:' (the field to rank by)");
  if (s.name === "dedupe" && fieldArgs.length === 0) c.reportIn(scope, "SC2105", s.span, "dedupe() needs 'by:' (the field whose repeats are dropped)");
  const n = b.values.get("n")?.[0];
  if (n && n.ty.t === "number" && n.ty.value !== undefined) {
    const asked = n.ty.unit === "ratio" ? undefined : n.ty.value;
    if (asked !== undefined && data.rows !== undefined && asked > data.rows) {
      c.reportIn(scope, "SC2108", n.arg.span, `${s.name}(${formatNumber(asked)}) asks for more rows than the ${formatNumber(data.rows)} ${data.label ? `${data.label} has` : "available here"}`);
    }
    const limit = asked ?? (data.rows !== undefined ? Math.floor(data.rows * n.ty.value) : undefined);
    const rowsOut = limit !== undefined && data.rows !== undefined ? Math.min(limit, data.rows) : limit;
    return { fields: data.fields, ...(rowsOut !== undefined ? { rows: rowsOut } : {}) };
  }
  if (s.name === "union" || s.name === "intersect" || s.name === "minus") {
    const o = b.values.get("other")?.[0]?.ty;
    return o?.t === "dataset" ? combine(s.name, data, o.data) : data;
  }
  if (s.name === "distill") return { ...data, fields: data.fields ? new Set([...data.fields, ...DISTILL_FIELDS]) : undefined };
  return data;
}

function scoreStep(c: Checker, s: Extract<Transform, { kind: "step" }>, args: readonly Arg[], data: DatasetInfo, scope: Scope): DatasetInfo | undefined {
  if (args.length === 0) c.reportIn(scope, "SC2105", s.span, "score() needs field: scorer pairs, e.g. score(rm: rm)");
  const added: string[] = [];
  for (const a of args) {
    const ty = evalExpr(c, a.value, scope);
    if (a.name === undefined) {
      c.reportIn(scope, "SC2105", a.span, "score() takes field: scorer pairs, e.g. score(rm: rm)", { suggestion: a.value.kind === "name" ? `write ${a.value.name}: ${a.value.name}` : undefined });
      continue;
    }
    if (ty.t === "unknown") {
      // The scorer is already reported; the field still exists for what follows.
      added.push(a.name);
      continue;
    }
    if (ty.t !== "scorer") {
      c.reportIn(scope, "SC2101", a.value.span, `'${a.name}' must come from a scorer, not ${describeTy(ty)}`);
      continue;
    }
    if (ty.outputs && ty.outputs.length > 1) {
      const base = a.value.kind === "name" ? a.value.name : "the scorer";
      c.reportIn(scope, "SC2105", a.value.span, `${base} writes ${ty.outputs.join(", ")}: pick one`, { suggestion: `${a.name}: ${base}.${ty.outputs[0]}` });
    }
    added.push(a.name);
  }
  return { ...data, fields: data.fields ? new Set([...data.fields, ...added]) : undefined };
}
