import { parseText } from "../../grammar/parse.js";
import { DiagnosticSink, type Diagnostic } from "../diagnostics/diagnostic.js";
import { span } from "../diagnostics/span.js";
import type { Program } from "./ast.js";
import { AstBuilder } from "./to-ast.js";

export interface ParsedFile {
  readonly program: Program;
  readonly diagnostics: readonly Diagnostic[];
}

/** Source text → AST with spans, plus every syntax diagnostic. Never throws. */
export function parseProgram(file: string, text: string): ParsedFile {
  const parsed = parseText(file, text);
  const sink = new DiagnosticSink();
  sink.addAll(parsed.diagnostics);
  let items: Program["items"] = [];
  if (parsed.cst) {
    try {
      items = new AstBuilder(file, sink).items(parsed.cst);
    } catch (err: unknown) {
      const message = err instanceof Error ? err.message : String(err);
      sink.report("SC9001", span(file, 0, 0), `building the syntax tree failed: ${message}`, { suggestion: "please report this with the file that caused it" });
    }
  }
  const comments = parsed.comments.map((c) => ({ text: c.image, span: span(file, c.startOffset, c.startOffset + c.image.length) }));
  return { program: { file, items, comments }, diagnostics: sink.all };
}
