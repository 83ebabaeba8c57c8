import { parseText } from "../../grammar/parse.js";
import { DiagnosticSink, type Diagnostic } from "../diagnostics/diagnostic.js";
import { span } from "../diagnostics/span.js";
import type { Item, Program } from "./ast.js";
import { AstBuilder } from "./to-ast.js";

export interface ParsedFile {
  readonly program: Program;
  readonly diagnostics: readonly Diagnostic[];
}

/** Source text → AST with spans, plus every syntax diagnostic. Never throws. */
export function parseProgram(file: string, text: string): ParsedFile {
  const sink = new DiagnosticSink();
  const builder = new AstBuilder(file, sink);
  const items: Item[] = [];
  let failed = false;
  const parsed = parseText(file, text, (cst) => {
    if (failed) return;
    try {
      const item = builder.topItem(cst);
      if (item) items.push(item);
    } catch (err: unknown) {
      failed = true;
      const message = err instanceof Error ? err.message : String(err);
      sink.report("SC9001", span(file, 0, 0), `building the syntax tree failed: ${message}`, { suggestion: "please report this with the file that caused it" });
    }
  });
  // Syntax errors come first, in source order, then what building the tree found.
  const diagnostics = [...parsed.diagnostics, ...sink.all];
  const errorAt = diagnostics.filter((d) => d.severity === "error").map((d) => d.span.start);
  const marked = errorAt.length ? items.map((i) => markBroken(i, errorAt)) : items;
  const comments = parsed.comments.map((c) => ({ text: c.image, span: span(file, c.startOffset, c.startOffset + c.image.length) }));
  return { program: { file, items: marked, comments }, diagnostics };
}

function markBroken(item: Item, errorAt: readonly number[]): Item {
  if (item.kind === "for") {
    // A mistake in the header (`for t in 1 to 4`) leaves rounds that cannot be known: the loop is
    // not expanded, rather than reported again as a bad range. The header is broken when the parser
    // stopped at its range (it never reached the `{`), or an error comes before the first item.
    const headerEnd = item.to?.span.end ?? item.from.span.end;
    const bodyStart = item.body[0]?.span.start ?? item.span.end;
    const header = item.span.end <= headerEnd || errorAt.some((at) => at >= item.span.start && at < bodyStart && at > headerEnd);
    const body = item.body.map((i) => markBroken(i, errorAt));
    return header ? { ...item, body, broken: true } : body.some((b, i) => b !== item.body[i]) ? { ...item, body } : item;
  }
  const inside = errorAt.some((at) => at >= item.span.start && at <= item.span.end);
  if (!inside) return item;
  if (item.kind === "import") return item;
  return { ...item, broken: true };
}
