import { RowError } from "./errors.js";
import { exactNumber } from "./exact-number.js";
import { fieldText } from "./json-text.js";

/**
 * How row values are read as numbers and keys. JSONL written by scripts often carries numbers as
 * strings ("4"), so a decimal string counts as its number; anything looser (hex, "", "Infinity")
 * would turn typos into values, so it does not.
 */
const DECIMAL = /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** The number a value stands for, or undefined when it is not one. Booleans count as 1 and 0. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && DECIMAL.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A short rendering of a value for error messages; long strings are cut. */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  // 1e999 in a row parses to Infinity, which JSON would print as null.
  if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "not a number" : `a number too large for a double (${v > 0 ? "" : "-"}∞)`;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Reads a field that must be present; a missing field is an error, never undefined. */
export function fieldOf(row: Readonly<Record<string, unknown>>, name: string): unknown {
  if (!Object.hasOwn(row, name)) throw new RowError(`row has no field '${name}'`, name);
  return row[name];
}

/** A field read as a number, for ranking and normalising. */
export function numericField(row: Readonly<Record<string, unknown>>, name: string): number {
  const v = fieldOf(row, name);
  const n = typeof v === "boolean" ? undefined : asNumber(v);
  if (n === undefined) throw new RowError(`field '${name}' is ${show(v)}, not a number`, name);
  return n;
}

/**
 * The key of a row for dedupe and the set operations, given the row and its JSON text. A number
 * and its decimal string are the same key (17 and "17"), for the same reason `==` compares them as
 * numbers. A number's key is its exact value, read from the text (see exact-number.ts), so two
 * ids that differ past the 16th digit stay two keys though they parse to one double. Other types
 * are not keys, since matching rows by null or by an object is almost always a mistake in the data.
 */
export function keyOf(row: Readonly<Record<string, unknown>>, text: string, name: string): string {
  const v = fieldOf(row, name);
  if (typeof v === "string") return v;
  if (typeof v === "number") {
    const raw = fieldText(text, name);
    if (raw === undefined) throw new Error(`internal: field '${name}' of the row is not in its text`);
    return exactNumber(raw);
  }
  throw new RowError(`key field '${name}' is ${show(v)}; a key must be a string or a number`, name);
}
