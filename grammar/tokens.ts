import { Lexer, createToken, type CustomPatternMatcherFunc, type IToken, type TokenType } from "chevrotain";

/**
 * The tokens of the stagecraft language. Lexing is syntax only: numbers keep their unit suffix,
 * strings keep their quotes and escapes; the CST-to-AST visitor interprets them.
 */

/** Every word that can name a field or a named argument, keywords included (`from = x`, `cosine(from: 1)`). */
export const AnyName = createToken({ name: "AnyName", pattern: Lexer.NA });
/** Binary operators of every precedence; their precedence is applied when the AST is built. */
export const BinaryOp = createToken({ name: "BinaryOp", pattern: Lexer.NA });
/** The binary operators allowed inside a `where` predicate: all but `then` and the set operations. */
export const RowOp = createToken({ name: "RowOp", pattern: Lexer.NA, categories: [BinaryOp] });
/** Prefix operators: `-x`, `not x`, `!x`. */
export const PrefixOp = createToken({ name: "PrefixOp", pattern: Lexer.NA });

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\n\r]*/, group: "comments" });

const NAME_TEMPLATE = /[A-Za-z_][A-Za-z0-9_]*(?:\{[A-Za-z0-9_+\-*/% ]*[A-Za-z0-9_][A-Za-z0-9_+\-*/% ]*\}[A-Za-z0-9_]*)+/y;
const matchTemplate: CustomPatternMatcherFunc = (text, offset) => {
  NAME_TEMPLATE.lastIndex = offset;
  const m = NAME_TEMPLATE.exec(text);
  return m;
};
/** A name with index holes, for declarations inside loops: `hybrid_{t}`, `eval_{t-1}`. */
export const TemplateName = createToken({
  name: "TemplateName",
  pattern: matchTemplate,
  line_breaks: false,
  start_chars_hint: [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"],
});
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [AnyName] });

function keyword(word: string, ...categories: TokenType[]): TokenType {
  const name = word.charAt(0).toUpperCase() + word.slice(1);
  return createToken({ name, pattern: new RegExp(word), longer_alt: [TemplateName, Identifier], categories: [AnyName, ...categories] });
}

export const Pipeline = keyword("pipeline");
export const Model = keyword("model");
export const Dataset = keyword("dataset");
export const Scorer = keyword("scorer");
export const Schedule = keyword("schedule");
export const Reward = keyword("reward");
export const Param = keyword("param");
export const Stage = keyword("stage");
export const Defaults = keyword("defaults");
export const For = keyword("for");
export const In = keyword("in");
export const Import = keyword("import");
export const From = keyword("from");
export const Frozen = keyword("frozen");
export const Where = keyword("where");
export const Then = keyword("then", BinaryOp);
export const Union = keyword("union", BinaryOp);
export const Intersect = keyword("intersect", BinaryOp);
export const Minus = keyword("minus", BinaryOp);
export const With = keyword("with", RowOp);
export const And = keyword("and", RowOp);
export const Or = keyword("or", RowOp);
export const Not = keyword("not", PrefixOp);
export const True = keyword("true");
export const False = keyword("false");

/** Numbers as researchers write them: 42, 0.05, 2e-4, 16K, 2M, 32.8B, 3%. Suffixes are checked later. */
export const NumberLit = createToken({ name: "NumberLit", pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[A-Za-z_%]*/ });
export const StringLit = createToken({ name: "StringLit", pattern: Lexer.NA });
export const ClosedString = createToken({ name: "ClosedString", pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/, categories: [StringLit] });
/** A string that runs to the end of its line: kept as a token so parsing goes on; the visitor reports it. */
/** A single-quoted string: not the language's, but read whole so one slip is one error. */
export const SingleString = createToken({ name: "SingleString", pattern: /'(?:[^'\\\n\r]|\\[^\n\r])*'?/, categories: [StringLit] });
export const OpenString = createToken({ name: "OpenString", pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*\\?/, categories: [StringLit] });

const REGEX_BODY = /\/(?:\\[^\n\r]|\[(?:\\[^\n\r]|[^\]\\\n\r])*\]|[^/\\\n\r[])+\/[a-z]*/y;
const REGEX_AFTER = new Set(["LParen", "Comma", "Equals", "Colon", "LBracket", "Question"]);
/** A regex literal can only stand where a division cannot: after ( , = : [ ?. */
const matchRegex: CustomPatternMatcherFunc = (text, offset, tokens) => {
  const prev = tokens[tokens.length - 1];
  if (prev === undefined || !REGEX_AFTER.has(prev.tokenType.name)) return null;
  REGEX_BODY.lastIndex = offset;
  return REGEX_BODY.exec(text);
};
export const RegexLit = createToken({ name: "RegexLit", pattern: matchRegex, line_breaks: false, start_chars_hint: ["/"] });

export const Arrow = createToken({ name: "Arrow", pattern: /->/ });
export const ShiftRight = createToken({ name: "ShiftRight", pattern: />>/, categories: [RowOp] });
export const CompareOp = createToken({ name: "CompareOp", pattern: Lexer.NA, categories: [RowOp] });
export const EqEq = createToken({ name: "EqEq", pattern: /==/, categories: [CompareOp] });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/, categories: [CompareOp] });
export const LtEq = createToken({ name: "LtEq", pattern: /<=/, categories: [CompareOp] });
export const GtEq = createToken({ name: "GtEq", pattern: />=/, categories: [CompareOp] });
export const Lt = createToken({ name: "Lt", pattern: /</, categories: [CompareOp] });
export const Gt = createToken({ name: "Gt", pattern: />/, categories: [CompareOp] });
export const AndAnd = createToken({ name: "AndAnd", pattern: /&&/, categories: [RowOp] });
export const OrOr = createToken({ name: "OrOr", pattern: /\|\|/, categories: [RowOp] });
export const Pipe = createToken({ name: "Pipe", pattern: /\|/ });
export const Bang = createToken({ name: "Bang", pattern: /!/, categories: [PrefixOp] });
export const Equals = createToken({ name: "Equals", pattern: /=/ });
export const Plus = createToken({ name: "Plus", pattern: /\+/, categories: [RowOp] });
export const Dash = createToken({ name: "Dash", pattern: /-/, categories: [RowOp, PrefixOp] });
export const Star = createToken({ name: "Star", pattern: /\*/, categories: [RowOp] });
export const Slash = createToken({ name: "Slash", pattern: /\//, categories: [RowOp] });
export const Percent = createToken({ name: "Percent", pattern: /%/, categories: [RowOp] });
export const Question = createToken({ name: "Question", pattern: /\?/ });
export const DotDot = createToken({ name: "DotDot", pattern: /\.\./ });
export const Dot = createToken({ name: "Dot", pattern: /\./ });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const LCurly = createToken({ name: "LCurly", pattern: /\{/ });
export const RCurly = createToken({ name: "RCurly", pattern: /\}/ });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/ });

export const KEYWORDS: readonly TokenType[] = [
  Pipeline, Model, Dataset, Scorer, Schedule, Reward, Param, Stage, Defaults, For, In, Import, From,
  Frozen, Where, Then, Union, Intersect, Minus, With, And, Or, Not, True, False,
];

export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace, Comment,
  // Longest first, so `in` cannot shadow `intersect`.
  ...[...KEYWORDS].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  TemplateName, Identifier, AnyName, BinaryOp, RowOp, PrefixOp,
  NumberLit, StringLit, ClosedString, OpenString, SingleString,
  RegexLit,
  Arrow, ShiftRight, EqEq, NotEq, LtEq, GtEq, Lt, Gt, CompareOp, AndAnd, OrOr, Pipe, Bang, Equals,
  Plus, Dash, Star, Slash, Percent, Question, DotDot, Dot, Comma, Semicolon, Colon,
  LCurly, RCurly, LParen, RParen, LBracket, RBracket,
];

export const lexer = new Lexer([...ALL_TOKENS], {
  positionTracking: "onlyOffset",
  ensureOptimizations: false,
  recoveryEnabled: true,
});

export type Token = IToken;

/**
 * Lexes with offsets only (the cheapest tracking mode) and fills in each token's end offset,
 * which spans and the parser's node locations are built from.
 */
export function tokenize(text: string): ReturnType<typeof lexer.tokenize> {
  const r = lexer.tokenize(text);
  const tokens = r.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    t.endOffset = t.startOffset + t.image.length - 1;
  }
  for (const g of Object.values(r.groups)) for (const t of g) t.endOffset = t.startOffset + t.image.length - 1;
  return r;
}
