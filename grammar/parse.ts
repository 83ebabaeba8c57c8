import type { CstNode, IRecognitionException, IToken } from "chevrotain";
import { DiagnosticSink, type Diagnostic } from "../src/diagnostics/diagnostic.js";
import { span } from "../src/diagnostics/span.js";
import type { TopItemCstNode } from "./cst-types.js";
import { StagecraftParser } from "./parser.js";
import { tokenize } from "./tokens.js";

export interface ParseResult {
  readonly file: string;
  readonly text: string;
  readonly tokens: readonly IToken[];
  readonly comments: readonly IToken[];
  /** False when the input could not be parsed at all (binary, nested too deep). */
  readonly parsed: boolean;
  readonly diagnostics: readonly Diagnostic[];
}

/** Deeper nesting than this is refused before parsing, so recursion can never overflow the stack. */
export const MAX_DEPTH = 200;
/** More syntax errors than this in one file are summarised: the rest are consequences. */
export const MAX_SYNTAX_ERRORS = 50;

let shared: StagecraftParser | undefined;
/** One parser instance, reused: Chevrotain parsers are expensive to build and cheap to reset. */
export function parserInstance(): StagecraftParser {
  shared ??= new StagecraftParser();
  return shared;
}

const OPEN: Record<string, string> = { LCurly: "RCurly", LParen: "RParen", LBracket: "RBracket" };
const CLOSE_CHAR: Record<string, string> = { RCurly: "}", RParen: ")", RBracket: "]" };

function tokSpan(file: string, text: string, t: IToken) {
  const start = Number.isFinite(t.startOffset) ? t.startOffset : text.length;
  const end = Number.isFinite(t.endOffset) && t.endOffset !== undefined ? t.endOffset + 1 : start;
  return span(file, Math.min(start, text.length), Math.min(Math.max(end, start), text.length));
}

function lexErrors(file: string, text: string, errors: readonly { offset: number; length: number }[], sink: DiagnosticSink): void {
  // Runs of bad characters are one diagnostic.
  let i = 0;
  while (i < errors.length) {
    const first = errors[i]!;
    let end = first.offset + first.length;
    let j = i + 1;
    while (j < errors.length && errors[j]!.offset <= end) {
      end = Math.max(end, errors[j]!.offset + errors[j]!.length);
      j++;
    }
    const bad = text.slice(first.offset, end);
    const ch = bad.charAt(0);
    const code = ch.codePointAt(0) ?? 0;
    const shown = code < 32 || code === 127 ? `U+${code.toString(16).padStart(4, "0").toUpperCase()}` : `'${ch}'`;
    const suggestion =
      ch === "'" ? "strings are written in double quotes: \"...\"" :
      ch === "@" || ch === "$" || ch === "`" ? "names are letters, digits and '_'" :
      ch === "\\" ? "a backslash is only allowed inside a string or regular expression" : undefined;
    sink.report("SC1001", span(file, first.offset, end), `unexpected character ${shown}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ""}`, { suggestion });
    i = j;
  }
}

/** Unclosed and unmatched brackets, reported where they are rather than where the file ends. */
function bracketCheck(file: string, text: string, tokens: readonly IToken[], sink: DiagnosticSink): boolean {
  const stack: IToken[] = [];
  let ok = true;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (OPEN[name]) {
      stack.push(t);
      if (stack.length > MAX_DEPTH) {
        sink.report("SC1009", tokSpan(file, text, t), `brackets nested more than ${MAX_DEPTH} deep`, { suggestion: "split the expression into named declarations" });
        return false;
      }
    } else if (CLOSE_CHAR[name]) {
      const top = stack[stack.length - 1];
      if (top && OPEN[top.tokenType.name] === name) stack.pop();
      else {
        ok = false;
        const matching = stack.findLastIndex((o) => OPEN[o.tokenType.name] === name);
        if (matching >= 0) {
          // An inner bracket was left open: report it, then treat it as closed here.
          for (const unclosed of stack.splice(matching + 1).reverse()) {
            sink.report("SC1005", tokSpan(file, text, unclosed), `'${unclosed.image}' is not closed`, {
              related: [{ span: tokSpan(file, text, t), message: `'${t.image}' closes an outer bracket first` }],
            });
          }
          stack.pop();
        } else {
          sink.report("SC1003", tokSpan(file, text, t), `'${CLOSE_CHAR[name]}' has no matching opening bracket`);
        }
      }
    }
  }
  for (const unclosed of stack.reverse()) {
    ok = false;
    sink.report("SC1005", tokSpan(file, text, unclosed), `'${unclosed.image}' is never closed`, {
      related: [{ span: span(file, text.length, text.length), message: "the file ends here" }],
      suggestion: `add '${CLOSE_CHAR[OPEN[unclosed.tokenType.name] ?? ""] ?? "}"}'`,
    });
  }
  return ok;
}

/** Long runs of prefix operators recurse like brackets do. */
function prefixRunTooDeep(tokens: readonly IToken[]): IToken | undefined {
  let run = 0;
  for (const t of tokens) {
    const n = t.tokenType.name;
    if (n === "Dash" || n === "Bang" || n === "Not" || n === "Question") {
      if (++run > MAX_DEPTH) return t;
    } else if (n !== "Colon" && n !== "NumberLit" && n !== "Identifier") run = 0;
  }
  return undefined;
}

function syntaxError(file: string, text: string, e: IRecognitionException, sink: DiagnosticSink): void {
  const code = e.name === "MismatchedTokenException" || e.name === "NotAllInputParsedException" ? "SC1003" : "SC1004";
  let s = tokSpan(file, text, e.token);
  if (e.token.tokenType.name === "EOF") s = span(file, text.length, text.length);
  sink.report(code, s, e.message);
}

/** Text to CST and syntax diagnostics. Never throws on any input. */
export function parseText(file: string, text: string, onItem: (cst: TopItemCstNode) => void): ParseResult {
  const sink = new DiagnosticSink();
  const result = (tokens: readonly IToken[], comments: readonly IToken[], parsed: boolean): ParseResult => ({ file, text, tokens, comments, parsed, diagnostics: sink.all });
  if (text.includes("\u0000")) {
    const at = text.indexOf("\u0000");
    sink.report("SC1010", span(file, at, at + 1), "this file contains NUL bytes and does not look like a pipeline file", {
      suggestion: "pipeline files are UTF-8 text",
    });
    return result([], [], false);
  }
  const lexed = tokenize(text);
  lexErrors(file, text, lexed.errors, sink);
  const comments = lexed.groups["comments"] ?? [];
  const tokens = lexed.tokens;
  const balanced = bracketCheck(file, text, tokens, sink);
  if (sink.all.some((d) => d.code === "SC1009")) return result(tokens, comments, false);
  const deep = prefixRunTooDeep(tokens);
  if (deep) {
    sink.report("SC1009", tokSpan(file, text, deep), `more than ${MAX_DEPTH} prefix operators in a row`);
    return result(tokens, comments, false);
  }
  const parser = parserInstance();
  const seen = new Set<number>();
  let count = 0;
  for (const chunk of topLevelChunks(tokens)) {
    parser.input = chunk;
    let cst: CstNode;
    try {
      cst = parser.topItem();
    } catch (err: unknown) {
      // Recursion limits are guarded above; anything else here is a bug in stagecraft.
      const message = err instanceof Error ? err.message : String(err);
      sink.report("SC9001", span(file, 0, 0), `the parser failed: ${message}`, { suggestion: "please report this with the file that caused it" });
      return result(tokens, comments, false);
    }
    for (const e of parser.errors) {
      // An error at the end of the file after an unclosed bracket is a consequence of that bracket.
      if (!balanced && e.token.tokenType.name === "EOF") continue;
      const at = Number.isFinite(e.token.startOffset) ? e.token.startOffset : text.length;
      if (seen.has(at)) continue;
      seen.add(at);
      if (++count > MAX_SYNTAX_ERRORS) break;
      syntaxError(file, text, e, sink);
    }
    onItem(cst as TopItemCstNode);
  }
  return result(tokens, comments, true);
}

const STARTS = new Set(["Import", "From", "Pipeline", "Defaults", "Model", "Dataset", "Scorer", "Schedule", "Reward", "Param", "Stage", "For"]);

/**
 * Splits the token stream at every keyword that starts a top-level item outside brackets. Each item
 * is parsed on its own: a mistake in one cannot swallow the next, and each item's CST is dropped as
 * soon as its AST is built, which keeps memory flat on very large files.
 */
function* topLevelChunks(tokens: readonly IToken[]): Generator<IToken[]> {
  let depth = 0;
  let start = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const name = t.tokenType.name;
    // `from "x.sc" import a` is one item: its `import` does not start another.
    const fromImport = name === "Import" && tokens[i - 2]?.tokenType.name === "From";
    if (depth === 0 && i > start && STARTS.has(name) && !fromImport) {
      yield tokens.slice(start, i);
      start = i;
    }
    if (OPEN[name]) depth++;
    else if (CLOSE_CHAR[name]) depth = Math.max(0, depth - 1);
  }
  if (start < tokens.length) yield tokens.slice(start);
}
