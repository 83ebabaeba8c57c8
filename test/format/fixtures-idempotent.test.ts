import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProgram } from "../../src/format/format.js";
import { parseProgram } from "../../src/syntax/parse-program.js";

/** `fmt` is idempotent over every fixture and workflow that parses without syntax errors. */
const files = [
  ...readdirSync("workflows").filter((f) => f.endsWith(".sc")).map((f) => `workflows/${f}`),
  ...readdirSync("test/fixtures/check").filter((f) => f.endsWith(".sc")).map((f) => `test/fixtures/check/${f}`),
];

describe("fmt over every fixture", () => {
  it("has fixtures to format", () => {
    expect(files.length).toBeGreaterThan(40);
  });
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const parsed = parseProgram(f, text);
    if (parsed.diagnostics.some((d) => d.code.startsWith("SC1"))) continue;
    it(`${f} formats idempotently`, () => {
      const once = formatProgram(parsed.program, text);
      const twice = formatProgram(parseProgram(f, once).program, once);
      expect(twice).toBe(once);
      // Formatting never changes what the file means: it checks to the same diagnostic codes.
      expect(parseProgram(f, once).diagnostics.map((d) => d.code)).toEqual(parsed.diagnostics.map((d) => d.code));
    });
  }
});
