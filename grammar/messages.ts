import type { IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";

/** How each token is named to a user in "expected ..." messages. */
const LABELS: Record<string, string> = {
  AnyName: "a name", Identifier: "a name", TemplateName: "a name", NumberLit: "a number", StringLit: "a string",
  ClosedString: "a string", OpenString: "a string", RegexLit: "a regular expression", CompareOp: "a comparison",
  Arrow: "'->'", ShiftRight: "'>>'", EqEq: "'=='", NotEq: "'!='", LtEq: "'<='", GtEq: "'>='", Lt: "'<'", Gt: "'>'",
  AndAnd: "'&&'", OrOr: "'||'", Pipe: "'|'", Bang: "'!'", Equals: "'='", Plus: "'+'", Dash: "'-'", Star: "'*'",
  Slash: "'/'", Percent: "'%'", Question: "'?'", DotDot: "'..'", Dot: "'.'", Comma: "','", Semicolon: "';'",
  Colon: "':'", LCurly: "'{'", RCurly: "'}'", LParen: "'('", RParen: "')'", LBracket: "'['", RBracket: "']'",
  EOF: "the end of the file",
};

export function tokenLabel(t: TokenType): string {
  return LABELS[t.name] ?? `'${t.name.toLowerCase()}'`;
}

export function describeActual(tok: IToken): string {
  if (tok.tokenType.name === "EOF") return "the end of the file";
  const img = tok.image.length > 30 ? `${tok.image.slice(0, 27)}...` : tok.image;
  return `'${img}'`;
}

/** What each rule is, for messages of the form "expected <what> here". */
const RULE_WANTS: Record<string, string> = {
  file: "a declaration",
  topItem: "a declaration (pipeline, model, dataset, scorer, schedule, reward, param, defaults, stage, for or import)",
  loopItem: "a declaration (model, dataset, scorer, schedule, reward, param, stage or for)",
  declaration: "a name for the declaration",
  stageDecl: "a stage name",
  block: "a field (name = value) or '}'",
  field: "a field (name = value)",
  transform: "a data transform after '|' (where, take, top, sample, score, ...)",
  operand: "a value (a number, string, name, list, record or parenthesised expression)",
  argument: "an argument",
  recordEntry: "a record entry (name: value)",
};

function list(items: string[]): string {
  const uniq = [...new Set(items)];
  if (uniq.length <= 1) return uniq[0] ?? "something else";
  if (uniq.length > 6) return `${uniq.slice(0, 6).join(", ")} or others`;
  return `${uniq.slice(0, -1).join(", ")} or ${uniq[uniq.length - 1]}`;
}

export const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${tokenLabel(expected)} but found ${describeActual(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeActual(firstRedundant)}: expected ${RULE_WANTS["topItem"]}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const wants = RULE_WANTS[ruleName];
    const found = actual[0] ? describeActual(actual[0]) : "the end of the file";
    if (wants) return `expected ${wants} but found ${found}`;
    const firsts = expectedPathsPerAlt.flatMap((alt) => alt.map((path) => (path[0] ? tokenLabel(path[0]) : "")).filter(Boolean));
    return `expected ${list(firsts)} but found ${found}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const wants = RULE_WANTS[ruleName];
    const found = actual[0] ? describeActual(actual[0]) : "the end of the file";
    if (wants) return `expected ${wants} but found ${found}`;
    const firsts = expectedIterationPaths.map((path) => (path[0] ? tokenLabel(path[0]) : "")).filter(Boolean);
    return `expected at least one ${list(firsts)} but found ${found}`;
  },
};
