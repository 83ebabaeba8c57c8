import type { Comment, Program } from "../syntax/ast.js";
import { render } from "./doc.js";
import { fileDoc } from "./items.js";

/** Lines longer than this are broken where the layout allows (pipes, arguments, lists, records). */
export const MAX_WIDTH = 100;

/**
 * The canonical text of a program: one layout whatever the input's, every comment kept, and
 * idempotent (formatting the output again changes nothing). `source` is the text the program
 * was parsed from: literals and comments are printed from it verbatim. Pure: no IO.
 */
export function formatProgram(program: Program, source: string): string {
  const comments: readonly Comment[] = [...program.comments].sort((a, b) => a.span.start - b.span.start);
  if (program.items.length === 0 && comments.length === 0) return "";
  const text = render(fileDoc({ source }, program.items, comments), MAX_WIDTH);
  return `${text.replace(/\s+$/, "")}\n`;
}
