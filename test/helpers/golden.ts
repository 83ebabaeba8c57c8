import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

/** Set UPDATE_GOLDEN=1 to rewrite golden files on purpose; otherwise they are compared. */
export const UPDATING = process.env["UPDATE_GOLDEN"] === "1";

export function expectGolden(path: string, actual: string): void {
  if (UPDATING || !existsSync(path)) {
    if (!UPDATING) throw new Error(`missing golden file ${path}: run with UPDATE_GOLDEN=1 to create it`);
    writeFileSync(path, actual);
    return;
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}
