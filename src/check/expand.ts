import type { Span } from "../diagnostics/span.js";
import type { Item } from "../syntax/ast.js";
import type { Checker } from "./checker.js";
import { constInt, templateText } from "./evaluate.js";
import type { Instance } from "./scope.js";

/** Loops longer than this are refused: they are almost always a typo in a bound. */
export const MAX_ROUNDS = 10_000;

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
  const scope = { env, file };
  const from = constInt(c, item.from, scope, "the start of a loop range");
  const to = constInt(c, item.to, scope, "the end of a loop range");
  if (from === undefined || to === undefined) return;
  const whole: Span = { file: item.from.span.file, start: item.from.span.start, end: item.to.span.end };
  if (to < from) {
    c.report("SC2111", whole, `the range ${from}..${to} is empty: the end is before the start`, { suggestion: `ranges include both ends and count up: ${to}..${from}` });
    return;
  }
  if (to - from + 1 > MAX_ROUNDS) {
    c.report("SC2111", whole, `the range ${from}..${to} has ${to - from + 1} rounds; at most ${MAX_ROUNDS} are allowed`);
    return;
  }
  if (env.has(item.variable)) {
    c.report("SC2002", item.variableSpan, `the loop variable '${item.variable}' is already used by an enclosing loop`);
    return;
  }
  for (let v = from; v <= to; v++) {
    const inner = new Map(env);
    inner.set(item.variable, v);
    expandLoops(c, file, item.body, inner, out);
  }
}
