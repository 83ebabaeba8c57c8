import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RowExpr, RowValue } from "../../../src/ir/row-expr.js";

/** A temporary directory per test file, removed by `cleanup`. */
export function tempDir(prefix: string): { readonly dir: string; file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `stagecraft-${prefix}-`));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes rows (objects become JSON, strings are written as they are) one per line. */
export function writeRows(file: string, rows: readonly (object | string)[]): string {
  writeFileSync(file, rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n");
  return file;
}

/** The rows of a JSONL output, read whole: test data is small. */
export function readRows(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export const ids = (file: string): unknown[] => readRows(file).map((r) => r["id"]);

// Small builders so expressions in tests read like the source they come from.
export const f = (name: string): RowExpr => ({ op: "field", name });
export const k = (value: RowValue): RowExpr => ({ op: "const", value });
export const bin = (fn: Extract<RowExpr, { op: "binary" }>["fn"], left: RowExpr, right: RowExpr): RowExpr => ({ op: "binary", fn, left, right });
export const call = (fn: Extract<RowExpr, { op: "call" }>["fn"], ...args: RowExpr[]): RowExpr => ({ op: "call", fn, args });
export const re = (pattern: string, flags = ""): RowExpr => ({ op: "regex", pattern, flags });
