import path from "node:path";
import type { Span } from "../diagnostics/span.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Expr, ExprOf, TemplateNameNode } from "../syntax/ast.js";
import { checkCall } from "./calls.js";
import type { Checker } from "./checker.js";
import { composeModels, replaceLabel } from "./models.js";
import { evalPipe, evalSetOp } from "./transforms.js";
import type { Scope } from "./scope.js";
import { describeTy, formatNumber, UNKNOWN, type Ty } from "./types.js";

const num = (value?: number): Ty => (value === undefined || !Number.isFinite(value) ? { t: "number" } : { t: "number", value, integer: Number.isInteger(value) });

/** The static type (and, where known, the constant value) of an expression. Reports what is wrong. */
export function evalExpr(c: Checker, e: Expr, scope: Scope): Ty {
  switch (e.kind) {
    case "number":
      return { t: "number", value: e.value, integer: Number.isInteger(e.value), ...(e.suffix === "%" ? { unit: "ratio" as const } : e.suffix ? { unit: "count" as const } : {}) };
    case "string": {
      if (!e.parts) return { t: "string", value: e.value };
      let value = "";
      for (const p of e.parts) {
        if (p.kind === "text") value += p.text;
        else {
          const v = constInt(c, p.expr, scope, `the hole '{${p.raw}}'`);
          if (v === undefined) return { t: "string" };
          value += String(v);
        }
      }
      return { t: "string", value };
    }
    case "bool":
      return { t: "bool", value: e.value };
    case "regex":
      return { t: "regex" };
    case "name":
      return resolveName(c, e.name, e.span, scope);
    case "template":
      return resolveTemplate(c, e.name, scope);
    case "list":
      return { t: "list", items: e.items.map((i) => evalExpr(c, i, scope)) };
    case "record": {
      const entries = new Map<string, Ty>();
      const first = new Map<string, Span>();
      for (const en of e.entries) {
        const prev = first.get(en.name);
        if (prev) c.reportIn(scope, "SC2010", en.nameSpan, `'${en.name}' is given twice in this record`, { related: [{ span: prev, message: "first given here" }] });
        else first.set(en.name, en.nameSpan);
        entries.set(en.name, evalExpr(c, en.value, scope));
      }
      return { t: "record", entries };
    }
    case "paren":
      return evalExpr(c, e.expr, scope);
    case "call":
      return checkCall(c, e, scope);
    case "member":
      return member(c, e, scope);
    case "index":
      return index(c, e, scope);
    case "unary":
      return unary(c, e, scope);
    case "binary":
      return binary(c, e, scope);
    case "ternary":
      return ternary(c, e, scope);
    case "pipe":
      return evalPipe(c, e, scope);
    case "error":
      return UNKNOWN;
  }
}

/** Identifies a name's occurrence in the source, for facts the checker hands to later phases. */
export function spanKey(s: Span): string {
  return `${s.file}:${s.start}`;
}

/** A constant integer (loop bounds, template holes, indexes), or undefined after reporting why not. */
export function constInt(c: Checker, e: Expr, scope: Scope, what: string): number | undefined {
  const ty = evalExpr(c, e, scope);
  if (ty.t === "unknown") return undefined;
  if (ty.t !== "number" || ty.value === undefined) {
    c.reportIn(scope, "SC2101", e.span, `${what} must be a whole number known before the run, not ${describeTy(ty)}`);
    return undefined;
  }
  if (!Number.isInteger(ty.value)) {
    c.reportIn(scope, "SC2102", e.span, `${what} must be a whole number, got ${ty.value}`);
    return undefined;
  }
  return ty.value;
}

export function resolveName(c: Checker, name: string, at: Span, scope: Scope): Ty {
  const row = scope.row;
  if (row?.fields?.has(name)) {
    c.rowFields.add(spanKey(at));
    return UNKNOWN;
  }
  const loopValue = scope.env.get(name);
  if (loopValue !== undefined) return num(loopValue);
  const inst = c.symbols.get(name);
  if (inst && c.visible(inst, scope.file)) {
    const ty = c.typeOf(inst, at);
    // A reward read inside a row context is checked again against the fields actually present.
    if (row?.fields && inst.item.kind === "decl" && inst.item.declKind === "reward" && ty.t === "reward") {
      evalExpr(c, inst.item.value, { env: inst.env, file: inst.file, row });
    }
    return ty;
  }
  if (row && row.fields === undefined) {
    c.rowFields.add(spanKey(at));
    return UNKNOWN;
  }
  if (row?.fields) {
    const rewards = [...c.symbols.values()].filter((i) => i.item.kind === "decl" && (i.item.declKind === "reward" || i.item.declKind === "param")).map((i) => i.name);
    c.reportIn(scope, "SC2009", at, `${row.what} have no field '${name}'`, {
      suggestion: didYouMean(name, [...row.fields, ...rewards, ...scope.env.keys()]) ?? `fields: ${[...row.fields].sort().join(", ") || "none"}`,
    });
    return UNKNOWN;
  }
  const failed = c.failedImports.get(scope.file);
  if (failed === "all" || failed?.has(name)) return UNKNOWN;
  if (inst) {
    const rel = path.relative(path.dirname(scope.file), inst.file) || inst.file;
    c.reportIn(scope, "SC2001", at, `'${name}' is declared in ${inst.file}, which this file does not import`, { suggestion: `import it: from "${rel}" import ${name}` });
    return UNKNOWN;
  }
  c.reportIn(scope, "SC2001", at, `unknown name '${name}'`, { suggestion: c.suggestName(name, scope) });
  return UNKNOWN;
}

/** `hybrid_{t-1}` → the name for this round, or undefined after reporting. */
export function templateText(c: Checker, n: TemplateNameNode, scope: Scope): string | undefined {
  let out = "";
  for (const p of n.parts) {
    if (p.kind === "text") out += p.text;
    else {
      const v = constInt(c, p.expr, scope, `the index '{${p.raw}}'`);
      if (v === undefined) return undefined;
      out += String(v);
    }
  }
  return out;
}

function resolveTemplate(c: Checker, n: TemplateNameNode, scope: Scope): Ty {
  const name = templateText(c, n, scope);
  if (name === undefined) return UNKNOWN;
  const inst = c.symbols.get(name);
  if (inst && c.visible(inst, scope.file)) return c.typeOf(inst, n.span);
  // Names of the same shape (hybrid_0, hybrid_1, ...) are the rounds that do exist.
  const shape = new RegExp(`^${n.parts.map((p) => (p.kind === "text" ? p.text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : "-?\\d+")).join("")}$`);
  const rounds = [...c.symbols.keys()].filter((k) => shape.test(k)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const family = [...c.templates.entries()].find(([, t]) => t.names.some((x) => rounds.includes(x)));
  const related = family ? [{ span: family[1].span, message: `'${family[0]}' declares ${family[1].names.join(", ")}` }] : [];
  if (rounds.length === 0) {
    // Nothing of this shape exists in any round: one error for the whole loop, not one per round.
    const hint = c.suggestName(name, scope);
    c.report("SC3001", n.span, `'${n.raw}' names nothing: no declaration has a name of that shape`, {
      suggestion: `${describeEnv(scope).trim() || "here"} it is '${name}'${hint ? `; ${hint}` : ""}`,
    });
    return UNKNOWN;
  }
  c.report("SC3001", n.span, `'${n.raw}' is '${name}'${describeEnv(scope)}, and there is no '${name}'`, {
    related,
    suggestion: `rounds that exist: ${rounds.join(", ")}`,
  });
  return UNKNOWN;
}

function describeEnv(scope: Scope): string {
  return scope.env.size ? ` when ${[...scope.env].map(([k, v]) => `${k} = ${v}`).join(", ")}` : "";
}

function member(c: Checker, e: ExprOf<"member">, scope: Scope): Ty {
  const obj = evalExpr(c, e.object, scope);
  // Templates are named as written, so the same slip in every round reads the same and is merged.
  const subject = e.object.kind === "name" ? `'${e.object.name}' (${describeTy(obj)})` : e.object.kind === "template" ? `'${e.object.name.raw}'` : describeTy(obj);
  const bad = (members: string[]) => {
    c.reportIn(scope, "SC2012", e.nameSpan, `${subject} has no member '${e.name}'`, {
      suggestion: didYouMean(e.name, members) ?? (members.length ? `members: ${members.join(", ")}` : undefined),
    });
    return UNKNOWN;
  };
  switch (obj.t) {
    case "unknown":
      return UNKNOWN;
    case "model":
      if (e.name === "width") return num(obj.model.width);
      if (e.name === "params") return num(obj.model.params);
      return bad(["width", "params"]);
    case "eval":
      if (e.name === "failures" || e.name === "successes") return { t: "dataset", data: obj.data };
      return bad(["failures", "successes"]);
    case "scorer":
      if (obj.outputs === undefined || obj.outputs.includes(e.name)) return { t: "scorer", outputs: [e.name] };
      return bad([...obj.outputs]);
    case "record": {
      const v = obj.entries.get(e.name);
      return v ?? bad([...obj.entries.keys()]);
    }
    default:
      return bad([]);
  }
}

function index(c: Checker, e: ExprOf<"index">, scope: Scope): Ty {
  const obj = evalExpr(c, e.object, scope);
  const i = constInt(c, e.index, scope, "a list index");
  if (obj.t === "unknown" || i === undefined) return UNKNOWN;
  if (obj.t !== "list") {
    c.reportIn(scope, "SC2101", e.object.span, `only lists can be indexed, not ${describeTy(obj)}`);
    return UNKNOWN;
  }
  const item = obj.items[i];
  if (item === undefined) {
    c.reportIn(scope, "SC2110", e.index.span, `index ${i} is outside this list of ${obj.items.length} (indexes start at 0)`);
    return UNKNOWN;
  }
  return item;
}

function numeric(ty: Ty): boolean {
  return ty.t === "number" || ty.t === "unknown" || (ty.t === "reward" && ty.of === "number") || (ty.t === "reward" && ty.of === "bool");
}

function unary(c: Checker, e: ExprOf<"unary">, scope: Scope): Ty {
  const v = evalExpr(c, e.operand, scope);
  if (v.t === "unknown") return UNKNOWN;
  if (e.op === "-") {
    if (v.t === "number") return v.value === undefined ? v : { ...v, value: -v.value };
    if (v.t === "reward") return { t: "reward", of: "number" };
    c.reportIn(scope, "SC2101", e.operand.span, `'-' needs a number, not ${describeTy(v)}`);
    return UNKNOWN;
  }
  if (v.t === "bool") return v.value === undefined ? v : { t: "bool", value: !v.value };
  if (v.t === "reward" && v.of === "bool") return v;
  c.reportIn(scope, "SC2101", e.operand.span, `'not' needs a boolean, not ${describeTy(v)}`);
  return UNKNOWN;
}

function arith(op: string, a: number, b: number): number {
  switch (op) {
    case "+": return a + b;
    case "-": return a - b;
    case "*": return a * b;
    case "/": return a / b;
    default: return a % b;
  }
}

function compareConst(op: string, a: unknown, b: unknown): boolean | undefined {
  if (a === undefined || b === undefined) return undefined;
  switch (op) {
    case "==": return a === b;
    case "!=": return a !== b;
    case "<": return (a as number) < (b as number);
    case "<=": return (a as number) <= (b as number);
    case ">": return (a as number) > (b as number);
    default: return (a as number) >= (b as number);
  }
}

function binary(c: Checker, e: ExprOf<"binary">, scope: Scope): Ty {
  if (e.op === "union" || e.op === "intersect" || e.op === "minus") return evalSetOp(c, e, scope);
  if (e.op === "with") return { t: "replace", from: replaceLabel(e.left), to: evalExpr(c, e.right, scope) };
  if (e.op === ">>") return composeModels(c, e, scope);
  const l = evalExpr(c, e.left, scope);
  const r = evalExpr(c, e.right, scope);
  if (e.op === "then") {
    for (const [side, ty] of [[e.left, l], [e.right, r]] as const) {
      if (ty.t !== "schedule" && ty.t !== "number" && ty.t !== "unknown") c.reportIn(scope, "SC2101", side.span, `'then' joins learning-rate schedules, not ${describeTy(ty)}`);
    }
    return { t: "schedule" };
  }
  const isReward = l.t === "reward" || r.t === "reward";
  if (e.op === "and" || e.op === "or") {
    for (const [side, ty] of [[e.left, l], [e.right, r]] as const) {
      if (ty.t !== "bool" && ty.t !== "unknown" && !(ty.t === "reward" && ty.of === "bool")) c.reportIn(scope, "SC2101", side.span, `'${e.op}' needs booleans, not ${describeTy(ty)}`);
    }
    if (isReward) return { t: "reward", of: "bool" };
    if (l.t === "bool" && r.t === "bool" && l.value !== undefined && r.value !== undefined) return { t: "bool", value: e.op === "and" ? l.value && r.value : l.value || r.value };
    return { t: "bool" };
  }
  if (e.op === "==" || e.op === "!=" || e.op === "<" || e.op === "<=" || e.op === ">" || e.op === ">=") {
    if (e.op !== "==" && e.op !== "!=") {
      for (const [side, ty] of [[e.left, l], [e.right, r]] as const) {
        if (!numeric(ty)) c.reportIn(scope, "SC2101", side.span, `'${e.op}' compares numbers, not ${describeTy(ty)}`);
      }
    }
    if (isReward) return { t: "reward", of: "bool" };
    const lv = "value" in l ? l.value : undefined;
    const rv = "value" in r ? r.value : undefined;
    const v = compareConst(e.op, lv, rv);
    return v === undefined ? { t: "bool" } : { t: "bool", value: v };
  }
  // arithmetic
  for (const [side, ty] of [[e.left, l], [e.right, r]] as const) {
    if (!numeric(ty)) {
      c.reportIn(scope, "SC2101", side.span, `'${e.op}' needs numbers, not ${describeTy(ty)}`);
      return UNKNOWN;
    }
  }
  if ((e.op === "/" || e.op === "%") && r.t === "number" && r.value === 0) {
    c.reportIn(scope, "SC2109", e.right.span, "division by zero: this is 0 before the run starts", { suggestion: "check the params it is computed from" });
    return isReward ? { t: "reward", of: "number" } : { t: "number" };
  }
  if (isReward) return { t: "reward", of: "number" };
  if (l.t === "number" && r.t === "number" && l.value !== undefined && r.value !== undefined) {
    const v = arith(e.op, l.value, r.value);
    if (Number.isFinite(v)) return num(v);
    c.reportIn(scope, "SC2109", e.span, `this is ${Number.isNaN(v) ? "not a number" : "too large to be a number"} (${formatNumber(l.value)} ${e.op} ${formatNumber(r.value)})`, { suggestion: "check the params it is computed from" });
  }
  return { t: "number" };
}

function ternary(c: Checker, e: ExprOf<"ternary">, scope: Scope): Ty {
  const cond = evalExpr(c, e.cond, scope);
  if (cond.t !== "bool" && cond.t !== "unknown" && !(cond.t === "reward" && cond.of === "bool")) {
    c.reportIn(scope, "SC2101", e.cond.span, `the condition before '?' must be a boolean, not ${describeTy(cond)}`);
  }
  // A condition known before the run picks its branch: the other may name a round that does not
  // exist in this round (`t == 0 ? swap_llm : hybrid_{t-1}`).
  if (cond.t === "bool" && cond.value !== undefined) return evalExpr(c, cond.value ? e.then : e.else, scope);
  const a = evalExpr(c, e.then, scope);
  const b = evalExpr(c, e.else, scope);
  if (a.t === "number" && b.t === "number") return { t: "number" };
  if (a.t === "reward" || b.t === "reward") return { t: "reward", of: "number" };
  return a.t === b.t ? a : UNKNOWN;
}
