import type { CstNode, IRecognitionException, IToken } from "chevrotain";
import { DiagnosticSink, type Diagnostic } from "../src/diagnostics/diagnostic.js";
import { span } from "../src/diagnostics/span.js";
import type { TopItemCstNode } from "./cst-types.js";
import { CstReuse, shapeKey } from "./cst-reuse.js";
import { StagecraftParser } from "./parser.js";
import { tokenMatcher } from "chevrotain";
import { BinaryOp, KEYWORDS, PrefixOp, tokenize } from "./tokens.js";

const KEYWORD_IMAGES = new Set(KEYWORDS.map((k) => String(k.PATTERN).replace(/^\/|\/$/g, "")));

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
    // A whole character (an emoji is two UTF-16 units); invisible and layout characters by their code.
    const code = bad.codePointAt(0) ?? 0;
    const ch = String.fromCodePoint(code);
    const invisible = code < 32 || (code >= 127 && code < 160) || /[\p{Cf}\p{Zl}\p{Zp}\p{Zs}\p{Mn}]/u.test(ch);
    const shown = invisible ? `U+${code.toString(16).padStart(4, "0").toUpperCase()}` : `'${ch}'`;
    const more = [...bad].length - 1;
    const suggestion =
      ch === "'" ? "strings are written in double quotes: \"...\"" :
      ch === "@" || ch === "$" || ch === "`" ? "names are letters, digits and '_'" :
      ch === "\\" ? "a backslash is only allowed inside a string or regular expression" : undefined;
    sink.report("SC1001", span(file, first.offset, end), `unexpected character ${shown}${more > 0 ? ` (and ${more} more)` : ""}`, { suggestion });
    i = j;
  }
}

const DECL_KEYWORDS = new Set(["Model", "Dataset", "Scorer", "Schedule", "Reward", "Param"]);
const NAME_TOKENS = new Set(["Identifier", "TemplateName"]);

/** Whether the tokens at `i` read as the start of a top-level item (`stage x :`, `model m =`, ...). */
function startsItem(tokens: readonly IToken[], i: number): boolean {
  const t = tokens[i]?.tokenType.name;
  const n1 = tokens[i + 1]?.tokenType.name ?? "";
  const n2 = tokens[i + 2]?.tokenType.name ?? "";
  if (t === undefined) return false;
  if (t === "Stage") return NAME_TOKENS.has(n1) && n2 === "Colon";
  if (DECL_KEYWORDS.has(t)) return NAME_TOKENS.has(n1) && n2 === "Equals";
  if (t === "Defaults" || t === "Pipeline") return n1 === "Identifier" && n2 === "LCurly";
  if (t === "For") return n1 === "Identifier" && n2 === "In";
  if (t === "Import") return n1 === "StringLit" || n1 === "ClosedString" || n1 === "OpenString";
  if (t === "From") return (n1 === "ClosedString" || n1 === "OpenString") && n2 === "Import";
  return false;
}

/** Tokens after which an operand must follow. */
const OPERAND_AFTER = new Set(["Where", "Equals", "Pipe", "Question", "Colon", "Comma", "LParen", "LBracket", "Then", "With"]);

const STARTS = new Set(["Import", "From", "Pipeline", "Defaults", "Model", "Dataset", "Scorer", "Schedule", "Reward", "Param", "Stage", "For"]);

interface Split {
  readonly chunks: IToken[][];
  /** Offsets already reported by the bracket check: the parser's complaints there are consequences. */
  readonly reportedAt: ReadonlySet<number>;
  /** False when a bracket was left open or closed without opening. */
  readonly balanced: boolean;
  readonly tooDeep: boolean;
}

/**
 * Splits the token stream into top-level items and checks brackets on the way. Each item is parsed
 * on its own: a mistake in one cannot swallow the next, and each item's CST is dropped as soon as
 * its AST is built, which keeps memory flat on very large files. A declaration that starts while a
 * bracket is still open means that bracket was never closed: it is reported there, at the opening
 * bracket, and the new item starts afresh.
 */
function splitItems(file: string, text: string, tokens: readonly IToken[], sink: DiagnosticSink): Split {
  const chunks: IToken[][] = [];
  const stack: IToken[] = [];
  const reportedAt = new Set<number>();
  let quoteSlipLine = -1;
  /** Opening braces of `for` bodies, where declarations belong. */
  const loopBodies = new Set<IToken>();
  let loopHeaderAt: number | undefined;
  let balanced = true;
  let start = 0;
  const cut = (i: number) => {
    if (i > start) chunks.push(tokens.slice(start, i));
    start = i;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const name = t.tokenType.name;
    if (name === "OpenString") {
      // The unclosed string swallowed the rest of its line, closing brackets included.
      while (stack.length && !text.slice(stack[stack.length - 1]!.startOffset, t.startOffset).includes("\n")) stack.pop();
      balanced = false;
    }
    if (name === "ClosedString") {
      const next = tokens[i + 1];
      const touching = next !== undefined && next.startOffset === t.startOffset + t.image.length && /^[A-Za-z0-9_]/.test(next.image);
      const line = touching ? lineEnd(text, t.startOffset) : -1;
      if (touching && quoteSlipLine !== line) {
        quoteSlipLine = line; // one report per line: the quotes after the slip all pair up wrongly
        // `"a, b: ["id"`: quotes pair up wrongly when one is missing; the next word touches the string.
        sink.report("SC1002", tokSpan(file, text, t), "a closing quote seems to be missing: this string runs on into what follows", {
          suggestion: `check the quotes before '${next.image}'`,
        });
        reportedAt.add(next.startOffset);
      }
    }
    if (stack.length === 0) {
      // `from "x.sc" import a` is one item: its `import` does not start another; nor does a
      // keyword where an operand belongs (`where model == 1`), which the parser reports.
      const fromImport = name === "Import" && tokens[i - 2]?.tokenType.name === "From";
      const prev = tokens[i - 1];
      // Nor does a keyword where a declaration's name belongs (`param from = 1`): the parser then
      // says the name is missing, and that the word is a keyword.
      const operandExpected =
        prev !== undefined && (OPERAND_AFTER.has(prev.tokenType.name) || NAME_AFTER.has(prev.tokenType.name) || tokenMatcher(prev, BinaryOp) || tokenMatcher(prev, PrefixOp));
      if (STARTS.has(name) && !fromImport && (!operandExpected || startsItem(tokens, i))) cut(i);
    } else if (STARTS.has(name) && startsItem(tokens, i) && !stack.every((o) => loopBodies.has(o))) {
      balanced = false;
      for (const unclosed of stack.reverse()) {
        sink.report("SC1005", tokSpan(file, text, unclosed), `'${unclosed.image}' is not closed before the next declaration`, {
          related: [{ span: tokSpan(file, text, t), message: "the next declaration starts here" }],
          suggestion: `add '${CLOSE_CHAR[OPEN[unclosed.tokenType.name] ?? ""] ?? "}"}' before it`,
        });
      }
      stack.length = 0;
      cut(i);
    }
    if (name === "For") loopHeaderAt = stack.length;
    if (OPEN[name]) {
      if (name === "LCurly" && loopHeaderAt === stack.length) {
        loopBodies.add(t);
        loopHeaderAt = undefined;
      }
      stack.push(t);
      if (stack.length > MAX_DEPTH) {
        sink.report("SC1009", tokSpan(file, text, t), `brackets nested more than ${MAX_DEPTH} deep`, { suggestion: "split the expression into named declarations" });
        return { chunks, reportedAt, balanced: false, tooDeep: true };
      }
    } else if (CLOSE_CHAR[name]) {
      const top = stack[stack.length - 1];
      if (top && OPEN[top.tokenType.name] === name) stack.pop();
      else {
        balanced = false;
        const matching = stack.findLastIndex((o) => OPEN[o.tokenType.name] === name);
        if (matching >= 0) {
          // An inner bracket was left open: report it, then treat it as closed here.
          reportedAt.add(t.startOffset);
          for (const unclosed of stack.splice(matching + 1).reverse()) {
            sink.report("SC1005", tokSpan(file, text, unclosed), `'${unclosed.image}' is not closed`, {
              related: [{ span: tokSpan(file, text, t), message: `'${t.image}' closes an outer bracket first` }],
            });
          }
          stack.pop();
        } else {
          reportedAt.add(t.startOffset);
          sink.report("SC1003", tokSpan(file, text, t), `'${CLOSE_CHAR[name]}' has no matching opening bracket`);
        }
      }
    }
  }
  cut(tokens.length);
  for (const unclosed of stack.reverse()) {
    balanced = false;
    sink.report("SC1005", tokSpan(file, text, unclosed), `'${unclosed.image}' is never closed`, {
      related: [{ span: span(file, text.length, text.length), message: "the file ends here" }],
      suggestion: `add '${CLOSE_CHAR[OPEN[unclosed.tokenType.name] ?? ""] ?? "}"}'`,
    });
  }
  return { chunks, reportedAt, balanced, tooDeep: false };
}

function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl;
}

/**
 * A chain of binary operators or conditionals (`1 + 1 + ...`, `c ? 1 : c ? 2 : ...`) is a tree as
 * deep as it is long, and every later pass walks it recursively: past this many in one expression,
 * it is refused here rather than overflowing the stack there.
 */
export const MAX_OPERATORS = 500;

/** The operator past MAX_OPERATORS in one expression (what lies between '=', ',' and braces). */
function operatorRunTooLong(tokens: readonly IToken[]): IToken | undefined {
  let run = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const n = t.tokenType.name;
    if (n === "Equals" || n === "Comma" || n === "LCurly" || n === "RCurly") run = 0;
    else if ((n === "Question" || tokenMatcher(t, BinaryOp)) && ++run > MAX_OPERATORS) return t;
  }
  return undefined;
}

/** The longest line a pipeline file may have. */
const MAX_LINE_CHARS = 1024 * 1024;

/** The first line longer than MAX_LINE_CHARS: its number and where it starts. */
function longLine(text: string): { line: number; start: number } | undefined {
  if (text.length <= MAX_LINE_CHARS) return undefined;
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl;
    if (end - start > MAX_LINE_CHARS) return { line, start };
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  return undefined;
}

/** Long runs of prefix operators recurse like brackets do. */
function prefixRunTooDeep(tokens: readonly IToken[]): IToken | undefined {
  let run = 0;
  // Indexed: this visits every token of the file, and an iterator allocates per step until optimised.
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const n = t.tokenType.name;
    if (n === "Dash" || n === "Bang" || n === "Not") {
      if (++run > MAX_DEPTH) return t;
    } else if (n !== "Colon" && n !== "NumberLit" && n !== "Identifier") run = 0;
  }
  return undefined;
}

/** Keywords a declaration's name follows. */
const NAME_AFTER = new Set(["Param", "Dataset", "Model", "Scorer", "Schedule", "Reward", "Stage"]);

/** Hints for the mistakes people make most, keyed on what the parser expected and what it found. */
function hintFor(message: string, found: string): string | undefined {
  if (message.startsWith("expected '=' but found ':'")) return "fields are set with '=': name = value (':' is for named arguments and record entries)";
  if (message.startsWith("expected ':' but found '='")) return "named arguments and record entries use ':': name: value";
  if (message.startsWith("expected ')' but found") && /^[A-Za-z_"0-9]/.test(found)) return "separate arguments with ','";
  if (message.startsWith("expected ']' but found") && /^[A-Za-z_"0-9]/.test(found)) return "separate list items with ','";
  if (found === "=" && message.startsWith("unexpected")) return "to compare two values write '=='; '=' only sets a field or declares a name";
  if (KEYWORD_IMAGES.has(found) && message.includes("a value")) return `'${found}' is a keyword, so it cannot be read as a name or a row field here`;
  if (KEYWORD_IMAGES.has(found) && / name\b/.test(message)) return `'${found}' is a keyword, so it cannot be a name: choose another, such as ${found}_`;
  if (found === "'" || found.startsWith("'")) return 'strings are written in double quotes: "..."';
  if (found === "/" && message.startsWith("expected")) return "a regular expression is written between two slashes on one line: /pattern/";
  return undefined;
}

function syntaxError(file: string, text: string, e: IRecognitionException, sink: DiagnosticSink): void {
  const code = e.name === "MismatchedTokenException" || e.name === "NotAllInputParsedException" ? "SC1003" : "SC1004";
  let s = tokSpan(file, text, e.token);
  if (e.token.tokenType.name === "EOF") s = span(file, text.length, text.length);
  sink.report(code, s, e.message, { suggestion: hintFor(e.message, e.token.image) });
}

export interface ParseOptions {
  /** Build items of a shape already parsed from that shape's tree (see cst-reuse.ts); default true. */
  readonly reuseTrees?: boolean;
}

/** Text to CST and syntax diagnostics. Never throws on any input. */
export function parseText(file: string, text: string, onItem: (cst: TopItemCstNode) => void, opts: ParseOptions = {}): ParseResult {
  const sink = new DiagnosticSink();
  const result = (tokens: readonly IToken[], comments: readonly IToken[], parsed: boolean): ParseResult => ({ file, text, tokens, comments, parsed, diagnostics: sink.all });
  if (text.includes("\u0000")) {
    const at = text.indexOf("\u0000");
    sink.report("SC1010", span(file, at, at + 1), "this file contains NUL bytes and does not look like a pipeline file", {
      suggestion: "pipeline files are UTF-8 text",
    });
    return result([], [], false);
  }
  const tooLong = longLine(text);
  if (tooLong) {
    // The lexer's patterns recurse on a token of millions of characters; no pipeline has one.
    sink.report("SC1010", span(file, tooLong.start, tooLong.start + 1), `line ${tooLong.line} is longer than ${MAX_LINE_CHARS / (1024 * 1024)} MiB, which no pipeline file has`, {
      suggestion: "pipeline files are text written by people; generate data into a JSONL file and read it with jsonl(...)",
    });
    return result([], [], false);
  }
  const lexed = tokenize(text);
  lexErrors(file, text, lexed.errors, sink);
  const comments = lexed.groups["comments"] ?? [];
  const tokens = lexed.tokens;
  const { chunks, reportedAt, balanced, tooDeep } = splitItems(file, text, tokens, sink);
  if (tooDeep) return result(tokens, comments, false);
  const deep = prefixRunTooDeep(tokens);
  if (deep) {
    sink.report("SC1009", tokSpan(file, text, deep), `more than ${MAX_DEPTH} prefix operators in a row`);
    return result(tokens, comments, false);
  }
  const long = operatorRunTooLong(tokens);
  if (long) {
    sink.report("SC1009", tokSpan(file, text, long), `more than ${MAX_OPERATORS} operators in one expression`, { suggestion: "split the expression into named declarations" });
    return result(tokens, comments, false);
  }
  const parser = parserInstance();
  const seen = new Set<number>();
  // After a bad character, the parser's complaints on the rest of that line are consequences.
  const lexErrorLines = lexed.errors.map((e) => lineEnd(text, e.offset));
  let count = 0;
  const reuse = opts.reuseTrees === false ? undefined : new CstReuse();
  for (const chunk of chunks) {
    const key = reuse ? shapeKey(chunk) : "";
    const again = reuse?.reuse(key, chunk);
    if (again) {
      onItem(again as TopItemCstNode);
      continue;
    }
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
      if (seen.has(at) || reportedAt.has(at)) continue;
      if (lexErrorLines.some((end, k) => at > (lexed.errors[k]?.offset ?? 0) && at <= end)) continue;
      seen.add(at);
      if (++count > MAX_SYNTAX_ERRORS) break;
      syntaxError(file, text, e, sink);
    }
    if (parser.errors.length === 0) reuse?.offer(key, chunk, cst);
    onItem(cst as TopItemCstNode);
  }
  return result(tokens, comments, true);
}

