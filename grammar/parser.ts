import { CstParser, type CstNode } from "chevrotain";
import { messageProvider } from "./messages.js";
import * as T from "./tokens.js";

/**
 * The stagecraft grammar: syntax only, no semantic actions. Builds a CST; the visitor in
 * src/syntax/ turns it into the AST. One instance is created and reused (see parse.ts).
 */
export class StagecraftParser extends CstParser {
  constructor() {
    super([...T.ALL_TOKENS], { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "onlyOffset", errorMessageProvider: messageProvider });
    this.performSelfAnalysis();
  }

  // ---------- file structure ----------

  file = this.RULE("file", () => {
    this.MANY(() => this.SUBRULE(this.topItem));
  });

  topItem = this.RULE("topItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.fromImport) },
      { ALT: () => this.SUBRULE(this.pipelineDecl) },
      { ALT: () => this.SUBRULE(this.defaultsDecl) },
      { ALT: () => this.SUBRULE(this.declaration) },
      { ALT: () => this.SUBRULE(this.stageDecl) },
      { ALT: () => this.SUBRULE(this.forLoop) },
    ]);
  });

  /** Items allowed inside a `for` loop. */
  loopItem = this.RULE("loopItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.declaration) },
      { ALT: () => this.SUBRULE(this.stageDecl) },
      { ALT: () => this.SUBRULE(this.forLoop) },
    ]);
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLit);
  });

  fromImport = this.RULE("fromImport", () => {
    this.CONSUME(T.From);
    this.CONSUME(T.StringLit);
    this.CONSUME(T.Import);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Identifier) });
  });

  pipelineDecl = this.RULE("pipelineDecl", () => {
    this.CONSUME(T.Pipeline);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  defaultsDecl = this.RULE("defaultsDecl", () => {
    this.CONSUME(T.Defaults);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Model) },
      { ALT: () => this.CONSUME(T.Dataset) },
      { ALT: () => this.CONSUME(T.Scorer) },
      { ALT: () => this.CONSUME(T.Schedule) },
      { ALT: () => this.CONSUME(T.Reward) },
      { ALT: () => this.CONSUME(T.Param) },
    ]);
    this.OR2([{ ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) }, { ALT: () => this.CONSUME(T.TemplateName, { LABEL: "name" }) }]);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
    this.OPTION(() => this.CONSUME(T.Frozen));
  });

  stageDecl = this.RULE("stageDecl", () => {
    this.CONSUME(T.Stage);
    this.OR([{ ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) }, { ALT: () => this.CONSUME(T.TemplateName, { LABEL: "name" }) }]);
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier, { LABEL: "kind" });
    this.SUBRULE(this.block);
  });

  forLoop = this.RULE("forLoop", () => {
    this.CONSUME(T.For);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.In);
    // A range (`1..4`), or, without `..`, a list of rounds (`[2, 3, 5]`, or a param holding one).
    this.SUBRULE(this.rowChain, { LABEL: "from" });
    this.OPTION(() => {
      this.CONSUME(T.DotDot);
      this.SUBRULE2(this.rowChain, { LABEL: "to" });
    });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.loopItem));
    this.CONSUME(T.RCurly);
  });

  block = this.RULE("block", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.field);
      this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Semicolon) }]));
    });
    this.CONSUME(T.RCurly);
  });

  field = this.RULE("field", () => {
    this.CONSUME(T.AnyName);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  // ---------- expressions ----------
  // Operators are parsed as flat chains and given their precedence when the AST is built
  // (src/syntax/precedence.ts): a shallow CST is much cheaper to build than one rule per level.

  /**
   * Operands joined by binary operators and `| transform` steps, in source order, then an
   * optional `? a : b` (the conditional binds loosest).
   */
  expression = this.RULE("expression", () => {
    this.SUBRULE(this.operand, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.BinaryOp, { LABEL: "ops" });
            this.SUBRULE2(this.operand, { LABEL: "operands" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Pipe, { LABEL: "ops" });
            this.SUBRULE(this.transform, { LABEL: "steps" });
          },
        },
      ]);
    });
    this.OPTION(() => {
      this.CONSUME(T.Question);
      this.SUBRULE(this.expression, { LABEL: "then" });
      this.CONSUME(T.Colon);
      this.SUBRULE2(this.expression, { LABEL: "else" });
    });
  });

  /** A predicate after `where` or a loop bound: no pipes, set operations, `then` or `?:`. */
  rowChain = this.RULE("rowChain", () => {
    this.SUBRULE(this.operand, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.RowOp, { LABEL: "ops" });
      this.SUBRULE2(this.operand, { LABEL: "operands" });
    });
  });

  transform = this.RULE("transform", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Where);
          this.SUBRULE(this.rowChain);
        },
      },
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
            { ALT: () => this.CONSUME(T.Union, { LABEL: "name" }) },
            { ALT: () => this.CONSUME(T.Intersect, { LABEL: "name" }) },
            { ALT: () => this.CONSUME(T.Minus, { LABEL: "name" }) },
          ]);
          this.OPTION(() => this.SUBRULE(this.callArgs));
        },
      },
    ]);
  });

  /**
   * Prefix operators, a primary value, then calls, members and indexes. One rule rather than one
   * per level keeps the CST shallow; prefixes are a loop, so `- - - x` cannot overflow the stack.
   */
  operand = this.RULE("operand", () => {
    this.MANY(() => this.CONSUME(T.PrefixOp, { LABEL: "prefixes" }));
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.RegexLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.TemplateName) },
      { ALT: () => this.SUBRULE(this.listLit) },
      { ALT: () => this.SUBRULE(this.recordLit) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
    ]);
    this.MANY2(() => {
      this.OR2([
        { ALT: () => this.SUBRULE(this.callArgs, { LABEL: "suffixes" }) },
        { ALT: () => this.SUBRULE(this.member, { LABEL: "suffixes" }) },
        { ALT: () => this.SUBRULE(this.index, { LABEL: "suffixes" }) },
      ]);
    });
  });

  callArgs = this.RULE("callArgs", () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
    this.CONSUME(T.RParen);
  });

  argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.CONSUME(T.AnyName, { LABEL: "name" });
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expression);
  });

  member = this.RULE("member", () => {
    this.CONSUME(T.Dot);
    this.CONSUME(T.AnyName);
  });

  index = this.RULE("index", () => {
    this.CONSUME(T.LBracket);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RBracket);
  });

  parenExpr = this.RULE("parenExpr", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  listLit = this.RULE("listLit", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RBracket);
  });

  recordLit = this.RULE("recordLit", () => {
    this.CONSUME(T.LCurly);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.recordEntry) });
    this.CONSUME(T.RCurly);
  });

  recordEntry = this.RULE("recordEntry", () => {
    this.CONSUME(T.AnyName);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });
}

export type { CstNode };
