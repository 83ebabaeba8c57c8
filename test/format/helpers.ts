import { expect } from "vitest";
import { formatProgram } from "../../src/format/format.js";
import { parseProgram } from "../../src/syntax/parse-program.js";

/** Keys that say where a node was, not what it is. */
const POSITION_KEYS = new Set(["span", "nameSpan", "opSpan", "keywordSpan", "kindSpan", "variableSpan", "pathSpan", "frozenSpan", "file"]);

/**
 * The AST without positions. Template names also lose their raw text, which the formatter
 * normalises (`x_{t - 1}` → `x_{t-1}`); their parts still say what they mean.
 */
export function stripSpans(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSpans);
  if (node === null || typeof node !== "object") return node;
  const obj = node as Record<string, unknown>;
  const isTemplate = Array.isArray(obj["parts"]) || obj["kind"] === "hole";
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (POSITION_KEYS.has(k) || (isTemplate && k === "raw")) continue;
    out[k] = stripSpans(v);
  }
  return out;
}

export function parseClean(text: string) {
  const r = parseProgram("main.sc", text);
  return { program: r.program, errors: r.diagnostics.filter((d) => d.severity === "error") };
}

/** Formats a text that must parse without errors. */
export function fmt(text: string): string {
  const { program, errors } = parseClean(text);
  expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return formatProgram(program, text);
}

/** The formatter's three promises for one input: idempotent, same AST, every comment kept. */
export function expectCanonical(text: string): string {
  const once = fmt(text);
  expect(fmt(once)).toBe(once);
  const before = parseClean(text).program;
  const after = parseClean(once).program;
  expect(stripSpans(after.items)).toEqual(stripSpans(before.items));
  const printed = after.comments.map((c) => c.text).join("\n");
  for (const c of before.comments) expect(printed).toContain(c.text.trim());
  return once;
}
