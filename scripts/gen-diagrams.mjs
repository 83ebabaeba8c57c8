// Writes docs/grammar.html, the railroad diagrams of the grammar, from the built parser.
// Usage: node scripts/gen-diagrams.mjs [--check]   (run `npm run build` first)
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { syntaxDiagramsHtml } from "../dist/grammar/diagrams.js";

const target = fileURLToPath(new URL("../docs/grammar.html", import.meta.url));
const fresh = syntaxDiagramsHtml();
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== fresh) {
    console.error("docs/grammar.html is stale: run `npm run diagrams`");
    process.exit(1);
  }
} else {
  writeFileSync(target, fresh);
  console.log("wrote docs/grammar.html");
}
