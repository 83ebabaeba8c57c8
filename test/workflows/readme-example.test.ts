import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { checkText } from "../helpers/check-files.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

it("the README's opening example checks without a problem", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const example = /```sc\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const r = checkText(example!);
  expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`)).toEqual([]);
});
