// Writes grammar/cst-types.ts from the grammar itself, so the CST types can never drift from it.
// Usage: node scripts/gen-cst-types.mjs [--check]   (run `npm run build` first)
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cstTypesSource } from "../dist/grammar/cst-gen.js";

const target = fileURLToPath(new URL("../grammar/cst-types.ts", import.meta.url));
const fresh = cstTypesSource();
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== fresh) {
    console.error("grammar/cst-types.ts is stale: run `npm run gen:cst`");
    process.exit(1);
  }
} else {
  writeFileSync(target, fresh);
  console.log("wrote grammar/cst-types.ts");
}
