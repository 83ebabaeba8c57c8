import type { Span } from "../diagnostics/span.js";
import type { Checker } from "./checker.js";
import type { Expr, Item } from "../syntax/ast.js";
import { constInt, evalExpr, templateText } from "./evaluate.js";
import type { Instance, Scope } from "./scope.js";
import { describeTy } from "./types.js";

/** Loops longer than this are refused: they are almost always a typo in a bound. */
export const MAX_ROUNDS = 10_000;

/** Names declared by loops in all (nested loops multiply); ten times the largest pipelines known. */
export const MAX_INSTANCES = 100_000;

function add(c: Checker, inst: Instance, out: Instance[]): void {
  const prev = c.symbols.get(inst.name);
  if (prev) {
    const sameTemplate = prev.item === inst.item;
    if (sameTemplate) {
      c.report("SC3003", inst.item.name.span, `every round of this loop declares the same name '${inst.name}'`, {
        suggestion: `put the loop variable in the name, e.g. ${inst.name}_{${[...inst.env.keys()].pop() ?? "t"}}`,
      });
    } else {
      c.report("SC2002", inst.nameSpan, `'${inst.name}' is already declared`, { related: [{ span: prev.nameSpan, message: "first declared here" }] });
    }
    return;
  }
  c.symbols.set(inst.name, inst);
  out.push(inst);
}

function instanceOf(c: Checker, item: Extract<Item, { kind: "decl" | "stage" }>, env: ReadonlyMap<string, number>, file: string): Instance | undefined {
  const name = templateText(c, item.name, { env, file });
  if (name === undefined) return undefined;
  // `s_-1` could never be written back as a name (it reads as `s_ - 1`): indexes start at 0.
  if (item.name.parts.some((p) => p.kind === "hole") && /-\d/.test(name)) {
    c.reportIn({ env, file }, "SC1008", item.name.span, `this round would declare '${name}': the holes of a declared name hold whole numbers from 0`, {
      suggestion: "count the rounds from 0 or 1, or shift the index: s_{t + 1}",
    });
    return undefined;
  }
  return { name, nameSpan: item.name.span, item, env, file };
}

/** Top-level declarations and stages, before any loop: loops may read their params. */
export function collectTopLevel(c: Checker, file: string, items: readonly Item[], out: Instance[]): void {
  for (const item of items) {
    if (item.kind !== "decl" && item.kind !== "stage") continue;
    const inst = instanceOf(c, item, new Map(), file);
    if (inst) add(c, inst, out);
  }
}

/** Expands every `for` loop into one instance per round, in source order. */
export function expandLoops(c: Checker, file: string, items: readonly Item[], env: ReadonlyMap<string, number>, out: Instance[]): void {
  for (const item of items) {
    if (item.kind === "for") expandLoop(c, file, item, env, out);
    else if (env.size > 0 && (item.kind === "decl" || item.kind === "stage")) {
      const inst = instanceOf(c, item, env, file);
      if (!inst) continue;
      if (item.name.parts.some((p) => p.kind === "hole")) {
        const t = c.templates.get(item.name.raw) ?? { span: item.name.span, names: [] };
        t.names.push(inst.name);
        c.templates.set(item.name.raw, t);
      }
      add(c, inst, out);
    }
  }
}

function expandLoop(c: Checker, file: string, item: Extract<Item, { kind: "for" }>, env: ReadonlyMap<string, number>, out: Instance[]): void {
  // Its header has a syntax error, already reported.
  if (item.broken) return;
  const rounds = item.to ? rangeRounds(c, item.from, item.to, { env, file }) : listRounds(c, item.from, { env, file });
  if (rounds === undefined) return;
  if (env.has(item.variable)) {
    c.report("SC2002", item.variableSpan, `the loop variable '${item.variable}' is already used by an enclosing loop`);
    return;
  }
  for (const v of rounds) {
    // Nested loops multiply: past MAX_INSTANCES names in all, expanding stops with one error here
    // (the outermost loop that crosses it), before it runs the machine out of memory.
    if (out.length > MAX_INSTANCES) {
      if (!c.reportedTooMany) {
        c.reportedTooMany = true;
        c.report("SC2111", item.variableSpan, `these loops declare more than ${MAX_INSTANCES} names in all; at most ${MAX_INSTANCES} are allowed`, {
          suggestion: "nested loops multiply their rounds: check the bounds",
        });
      }
      return;
    }
    const inner = new Map(env);
    inner.set(item.variable, v);
    expandLoops(c, file, item.body, inner, out);
  }
}

/** The rounds of `from..to`: both ends included, counting up. */
function rangeRounds(c: Checker, fromExpr: Expr, toExpr: Expr, scope: Scope): number[] | undefined {
  const from = constInt(c, fromExpr, scope, "the start of a loop range");
  const to = constInt(c, toExpr, scope, "the end of a loop range");
  if (from === undefined || to === undefined) return undefined;
  const whole: Span = { file: fromExpr.span.file, start: fromExpr.span.start, end: toExpr.span.end };
  if (to < from) {
    c.report("SC2111", whole, `the range ${from}..${to} is empty: the end is before the start`, { suggestion: `ranges include both ends and count up: ${to}..${from}` });
    return undefined;
  }
  if (to - from + 1 > MAX_ROUNDS) {
    c.report("SC2111", whole, `the range ${from}..${to} has ${to - from + 1} rounds; at most ${MAX_ROUNDS} are allowed`);
    return undefined;
  }
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The rounds of a loop over a list: whole numbers known before the run, each once, in list order. */
function listRounds(c: Checker, e: Expr, scope: Scope): number[] | undefined {
  const ty = evalExpr(c, e, scope);
  if (ty.t === "unknown") return undefined;
  if (ty.t !== "list") {
    const suggestion = ty.t === "number" && ty.value !== undefined && ty.value > 1 ? `for a range write from..to, e.g. 1..${ty.value}` : "a range is written from..to (`for t in 1..4`), chosen rounds as a list (`for t in [2, 3, 5]`)";
    c.reportIn(scope, "SC2101", e.span, `a loop runs over a range (from..to) or a list of whole numbers, not ${describeTy(ty)}`, { suggestion });
    return undefined;
  }
  const rounds: number[] = [];
  for (const [i, item] of ty.items.entries()) {
    if (item.t === "unknown") return undefined;
    if (item.t !== "number" || item.value === undefined || !Number.isInteger(item.value)) {
      const at = e.kind === "list" ? (e.items[i]?.span ?? e.span) : e.span;
      c.reportIn(scope, "SC2101", at, `the rounds of a loop must be whole numbers known before the run, not ${describeTy(item)}`);
      return undefined;
    }
    if (rounds.includes(item.value)) {
      c.reportIn(scope, "SC2111", e.span, `the list of rounds has ${item.value} twice: every round must declare its own names`);
      return undefined;
    }
    rounds.push(item.value);
  }
  if (rounds.length > MAX_ROUNDS) {
    c.report("SC2111", e.span, `the loop has ${rounds.length} rounds; at most ${MAX_ROUNDS} are allowed`);
    return undefined;
  }
  return rounds;
}
