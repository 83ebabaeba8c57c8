import type { RowBinary, RowExpr, RowFn, RowValue } from "../../src/ir/row-expr.js";
import { RowError } from "./errors.js";
import { asNumber, show } from "./values.js";

type Row = Readonly<Record<string, unknown>>;

/** What one evaluation reads: the completion's fields (for rewards) shadow the row's. */
interface Env {
  readonly row: Row;
  readonly extra: Row | undefined;
}

/**
 * Evaluates a checked row expression for one row. User data that does not fit (a missing field,
 * text where a number is needed, a division by zero) is a RowError naming the field; the caller
 * adds the line. A malformed expression is a bug in stagecraft and throws a plain Error.
 */
export function evalRow(expr: RowExpr, row: Row, extra?: Row): RowValue {
  return evaluate(expr, { row, extra });
}

function evaluate(e: RowExpr, env: Env): RowValue {
  switch (e.op) {
    case "const":
      return e.value;
    case "field":
      return lookup(e.name, env);
    case "unary":
      return e.fn === "-" ? finite("-", -num(e.arg, env)) : !bool(e.arg, env);
    case "binary":
      return binary(e.fn, e.left, e.right, env);
    case "cond":
      return bool(e.test, env) ? evaluate(e.then, env) : evaluate(e.else, env);
    case "call":
      return call(e.fn, e.args, env);
    case "regex":
      throw new Error(`internal: a regular expression /${e.pattern}/ used as a value`);
    default:
      return unreachable(e);
  }
}

function lookup(name: string, env: Env): RowValue {
  const from = env.extra && Object.hasOwn(env.extra, name) ? env.extra : env.row;
  if (!Object.hasOwn(from, name)) throw new RowError(`row has no field '${name}'`, name);
  const v = from[name];
  if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  throw new RowError(`field '${name}' is ${show(v)}; row expressions read numbers, text and booleans`, name);
}

/** Names an operand in a message: the field when it is one, since that is what the user must fix. */
function operand(e: RowExpr): { readonly what: string; readonly field: string | undefined } {
  if (e.op === "field") return { what: `field '${e.name}'`, field: e.name };
  return { what: "the value", field: undefined };
}

function num(e: RowExpr, env: Env): number {
  const v = evaluate(e, env);
  const n = asNumber(v);
  if (n !== undefined) return n;
  const o = operand(e);
  throw new RowError(`${o.what} is ${show(v)}, not a number`, o.field);
}

function bool(e: RowExpr, env: Env): boolean {
  const v = evaluate(e, env);
  if (typeof v === "boolean") return v;
  // Scripts write flags as 0/1 as often as true/false.
  if (v === 0 || v === 1) return v === 1;
  const o = operand(e);
  throw new RowError(`${o.what} is ${show(v)}, not true or false`, o.field);
}

function text(e: RowExpr, env: Env): string {
  const v = evaluate(e, env);
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  const o = operand(e);
  throw new RowError(`${o.what} is ${show(v)}, not text`, o.field);
}

/** JSON has no NaN or infinity, so a row value must never become one silently. */
function finite(what: string, n: number): number {
  if (!Number.isFinite(n)) throw new RowError(`${what} gives ${n}`);
  return n;
}

function binary(fn: RowBinary, l: RowExpr, r: RowExpr, env: Env): RowValue {
  switch (fn) {
    case "and":
      return bool(l, env) && bool(r, env);
    case "or":
      return bool(l, env) || bool(r, env);
    case "==":
      return equal(evaluate(l, env), evaluate(r, env));
    case "!=":
      return !equal(evaluate(l, env), evaluate(r, env));
    default:
      break;
  }
  const a = num(l, env);
  const b = num(r, env);
  switch (fn) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "+":
      return finite(`${a} + ${b}`, a + b);
    case "-":
      return finite(`${a} - ${b}`, a - b);
    case "*":
      return finite(`${a} * ${b}`, a * b);
    case "/":
      return finite(`${a} / ${b}`, a / b);
    case "%":
      return finite(`${a} % ${b}`, a % b);
    default:
      return unreachable(fn);
  }
}

/**
 * Text compares exactly; when either side is a number or boolean, both are compared as numbers,
 * so a field a script wrote as "4" equals 4. null equals only null.
 */
function equal(a: RowValue, b: RowValue): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === "string" && typeof b === "string") return a === b;
  if (typeof a === "boolean" && typeof b === "boolean") return a === b;
  const x = asNumber(a);
  const y = asNumber(b);
  return x !== undefined && y !== undefined && x === y;
}

function call(fn: RowFn, args: readonly RowExpr[], env: Env): RowValue {
  switch (fn) {
    case "min":
    case "max": {
      if (args.length === 0) throw new Error(`internal: ${fn}() without arguments`);
      const xs = args.map((a) => num(a, env));
      return fn === "min" ? Math.min(...xs) : Math.max(...xs);
    }
    case "exp":
    case "log":
    case "sqrt": {
      const x = num(one(fn, args), env);
      return finite(`${fn}(${x})`, Math[fn](x));
    }
    case "abs":
      return Math.abs(num(one(fn, args), env));
    case "clamp": {
      const [x, lo, hi] = arity(fn, args, 3);
      return Math.min(Math.max(num(x, env), num(lo, env)), num(hi, env));
    }
    case "len":
      return codePoints(text(one(fn, args), env));
    case "matches": {
      const [target, pattern] = args.length === 2 ? arity(fn, args, 2) : [undefined, one(fn, args)];
      return compiled(pattern).test(subject(target, env));
    }
    case "contains": {
      const [target, needle] = args.length === 2 ? arity(fn, args, 2) : [undefined, one(fn, args)];
      return subject(target, env).includes(text(needle, env));
    }
    case "length_penalty":
      return lengthPenalty(num(one(fn, args), env), env);
    default:
      return unreachable(fn);
  }
}

/** The text `matches` and `contains` look at: the given operand, else the completion. */
function subject(target: RowExpr | undefined, env: Env): string {
  return text(target ?? { op: "field", name: "completion" }, env);
}

function lengthPenalty(max: number, env: Env): number {
  if (max <= 0) throw new RowError(`length_penalty's max is ${max}; it must be above 0`);
  const tokens = num({ op: "field", name: "completion_tokens" }, env);
  if (tokens <= max) return 0;
  return Math.max(-1, -(tokens - max) / max);
}

/** Length in characters as a person (or Python) counts them, not UTF-16 units. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i + 1 < s.length; i++) {
    const c = s.charCodeAt(i);
    const d = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      n--;
      i++;
    }
  }
  return n;
}

const regexCache = new Map<string, RegExp>();

/**
 * Patterns are compiled once per pattern and flags, not per row. `g` and `y` are dropped: they
 * make `test` remember where it stopped, so one row's match would change the next row's result.
 */
function compiled(e: RowExpr): RegExp {
  const [pattern, rawFlags] = e.op === "regex" ? [e.pattern, e.flags] : e.op === "const" && typeof e.value === "string" ? [e.value, ""] : [undefined, ""];
  if (pattern === undefined) throw new Error(`internal: matches() needs a regular expression, not ${e.op}`);
  const flags = rawFlags.replace(/[gy]/g, "");
  const key = `${flags}/${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(pattern, flags);
    regexCache.set(key, re);
  }
  return re;
}

function one(fn: RowFn, args: readonly RowExpr[]): RowExpr {
  return arity(fn, args, 1)[0];
}

function arity(fn: RowFn, args: readonly RowExpr[], n: 1): readonly [RowExpr];
function arity(fn: RowFn, args: readonly RowExpr[], n: 2): readonly [RowExpr, RowExpr];
function arity(fn: RowFn, args: readonly RowExpr[], n: 3): readonly [RowExpr, RowExpr, RowExpr];
function arity(fn: RowFn, args: readonly RowExpr[], n: number): readonly RowExpr[] {
  if (args.length !== n) throw new Error(`internal: ${fn}() with ${args.length} arguments, expected ${n}`);
  return args;
}

function unreachable(x: never): never {
  throw new Error(`internal: unexpected ${JSON.stringify(x)}`);
}
