import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { cstTypesSource } from "../../grammar/cst-gen.js";

it("grammar/cst-types.ts is generated from the current grammar (run `npm run gen:cst` when this fails)", () => {
  expect(readFileSync("grammar/cst-types.ts", "utf8")).toBe(cstTypesSource());
});
