import { generateCstDts } from "chevrotain";
import { StagecraftParser } from "./parser.js";

/** The source of grammar/cst-types.ts, generated from the grammar's productions. */
export function cstTypesSource(): string {
  const parser = new StagecraftParser();
  const dts = generateCstDts(parser.getGAstProductions(), { includeVisitorInterface: false });
  return `// Generated from grammar/parser.ts by \`npm run gen:cst\`; do not edit. A test fails when it is stale.\n${dts}`;
}
