// Generated from grammar/parser.ts by `npm run gen:cst`; do not edit. A test fails when it is stale.
import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface FileCstNode extends CstNode {
  name: "file";
  children: FileCstChildren;
}

export type FileCstChildren = {
  topItem?: TopItemCstNode[];
};

export interface TopItemCstNode extends CstNode {
  name: "topItem";
  children: TopItemCstChildren;
}

export type TopItemCstChildren = {
  importDecl?: ImportDeclCstNode[];
  fromImport?: FromImportCstNode[];
  pipelineDecl?: PipelineDeclCstNode[];
  defaultsDecl?: DefaultsDeclCstNode[];
  declaration?: DeclarationCstNode[];
  stageDecl?: StageDeclCstNode[];
  forLoop?: ForLoopCstNode[];
};

export interface LoopItemCstNode extends CstNode {
  name: "loopItem";
  children: LoopItemCstChildren;
}

export type LoopItemCstChildren = {
  declaration?: DeclarationCstNode[];
  stageDecl?: StageDeclCstNode[];
  forLoop?: ForLoopCstNode[];
};

export interface ImportDeclCstNode extends CstNode {
  name: "importDecl";
  children: ImportDeclCstChildren;
}

export type ImportDeclCstChildren = {
  Import: IToken[];
  StringLit: IToken[];
};

export interface FromImportCstNode extends CstNode {
  name: "fromImport";
  children: FromImportCstChildren;
}

export type FromImportCstChildren = {
  From: IToken[];
  StringLit: IToken[];
  Import: IToken[];
  Identifier: IToken[];
  Comma?: IToken[];
};

export interface PipelineDeclCstNode extends CstNode {
  name: "pipelineDecl";
  children: PipelineDeclCstChildren;
}

export type PipelineDeclCstChildren = {
  Pipeline: IToken[];
  Identifier: IToken[];
  block: BlockCstNode[];
};

export interface DefaultsDeclCstNode extends CstNode {
  name: "defaultsDecl";
  children: DefaultsDeclCstChildren;
}

export type DefaultsDeclCstChildren = {
  Defaults: IToken[];
  Identifier: IToken[];
  block: BlockCstNode[];
};

export interface DeclarationCstNode extends CstNode {
  name: "declaration";
  children: DeclarationCstChildren;
}

export type DeclarationCstChildren = {
  Model?: IToken[];
  Dataset?: IToken[];
  Scorer?: IToken[];
  Schedule?: IToken[];
  Reward?: IToken[];
  Param?: IToken[];
  name?: (IToken)[];
  Equals: IToken[];
  expression: ExpressionCstNode[];
  Frozen?: IToken[];
};

export interface StageDeclCstNode extends CstNode {
  name: "stageDecl";
  children: StageDeclCstChildren;
}

export type StageDeclCstChildren = {
  Stage: IToken[];
  name?: (IToken)[];
  Colon: IToken[];
  kind: IToken[];
  block: BlockCstNode[];
};

export interface ForLoopCstNode extends CstNode {
  name: "forLoop";
  children: ForLoopCstChildren;
}

export type ForLoopCstChildren = {
  For: IToken[];
  Identifier: IToken[];
  In: IToken[];
  from: RowChainCstNode[];
  DotDot?: IToken[];
  to?: RowChainCstNode[];
  LCurly: IToken[];
  loopItem?: LoopItemCstNode[];
  RCurly: IToken[];
};

export interface BlockCstNode extends CstNode {
  name: "block";
  children: BlockCstChildren;
}

export type BlockCstChildren = {
  LCurly: IToken[];
  field?: FieldCstNode[];
  Comma?: IToken[];
  Semicolon?: IToken[];
  RCurly: IToken[];
};

export interface FieldCstNode extends CstNode {
  name: "field";
  children: FieldCstChildren;
}

export type FieldCstChildren = {
  AnyName: IToken[];
  Equals: IToken[];
  expression: ExpressionCstNode[];
};

export interface ExpressionCstNode extends CstNode {
  name: "expression";
  children: ExpressionCstChildren;
}

export type ExpressionCstChildren = {
  operands: (OperandCstNode)[];
  ops?: (IToken)[];
  steps?: TransformCstNode[];
  Question?: IToken[];
  then?: ExpressionCstNode[];
  Colon?: IToken[];
  else?: ExpressionCstNode[];
};

export interface RowChainCstNode extends CstNode {
  name: "rowChain";
  children: RowChainCstChildren;
}

export type RowChainCstChildren = {
  operands: (OperandCstNode)[];
  ops?: IToken[];
};

export interface TransformCstNode extends CstNode {
  name: "transform";
  children: TransformCstChildren;
}

export type TransformCstChildren = {
  Where?: IToken[];
  rowChain?: RowChainCstNode[];
  name?: (IToken)[];
  callArgs?: CallArgsCstNode[];
};

export interface OperandCstNode extends CstNode {
  name: "operand";
  children: OperandCstChildren;
}

export type OperandCstChildren = {
  prefixes?: IToken[];
  NumberLit?: IToken[];
  StringLit?: IToken[];
  RegexLit?: IToken[];
  True?: IToken[];
  False?: IToken[];
  Identifier?: IToken[];
  TemplateName?: IToken[];
  listLit?: ListLitCstNode[];
  recordLit?: RecordLitCstNode[];
  parenExpr?: ParenExprCstNode[];
  suffixes?: (CallArgsCstNode | MemberCstNode | IndexCstNode)[];
};

export interface CallArgsCstNode extends CstNode {
  name: "callArgs";
  children: CallArgsCstChildren;
}

export type CallArgsCstChildren = {
  LParen: IToken[];
  argument?: ArgumentCstNode[];
  Comma?: IToken[];
  RParen: IToken[];
};

export interface ArgumentCstNode extends CstNode {
  name: "argument";
  children: ArgumentCstChildren;
}

export type ArgumentCstChildren = {
  name?: IToken[];
  Colon?: IToken[];
  expression: ExpressionCstNode[];
};

export interface MemberCstNode extends CstNode {
  name: "member";
  children: MemberCstChildren;
}

export type MemberCstChildren = {
  Dot: IToken[];
  AnyName: IToken[];
};

export interface IndexCstNode extends CstNode {
  name: "index";
  children: IndexCstChildren;
}

export type IndexCstChildren = {
  LBracket: IToken[];
  expression: ExpressionCstNode[];
  RBracket: IToken[];
};

export interface ParenExprCstNode extends CstNode {
  name: "parenExpr";
  children: ParenExprCstChildren;
}

export type ParenExprCstChildren = {
  LParen: IToken[];
  expression: ExpressionCstNode[];
  RParen: IToken[];
};

export interface ListLitCstNode extends CstNode {
  name: "listLit";
  children: ListLitCstChildren;
}

export type ListLitCstChildren = {
  LBracket: IToken[];
  expression?: ExpressionCstNode[];
  Comma?: IToken[];
  RBracket: IToken[];
};

export interface RecordLitCstNode extends CstNode {
  name: "recordLit";
  children: RecordLitCstChildren;
}

export type RecordLitCstChildren = {
  LCurly: IToken[];
  recordEntry?: RecordEntryCstNode[];
  Comma?: IToken[];
  RCurly: IToken[];
};

export interface RecordEntryCstNode extends CstNode {
  name: "recordEntry";
  children: RecordEntryCstChildren;
}

export type RecordEntryCstChildren = {
  AnyName: IToken[];
  Colon: IToken[];
  expression: ExpressionCstNode[];
};
