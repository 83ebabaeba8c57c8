import { createSyntaxDiagramsCode } from "chevrotain";
import { StagecraftParser } from "./parser.js";

/**
 * The HTML page of railroad diagrams for every grammar rule (docs/grammar.html). Its scripts come
 * from the chevrotain package installed beside it, so the page works offline after `npm install`.
 */
export function syntaxDiagramsHtml(): string {
  const parser = new StagecraftParser();
  const base = "../node_modules/chevrotain/diagrams/";
  return createSyntaxDiagramsCode(parser.getSerializedGastProductions(), { resourceBase: base, css: `${base}diagrams.css` });
}
