import type { Span } from "../diagnostics/span.js";
import type { Field, Item } from "../syntax/ast.js";

export type DeclItem = Extract<Item, { kind: "decl" }>;
export type StageItem = Extract<Item, { kind: "stage" }>;

/** One declaration or stage after loops are expanded: `hybrid_{t}` at t = 2 is the instance `hybrid_2`. */
export interface Instance {
  readonly name: string;
  readonly nameSpan: Span;
  readonly item: DeclItem | StageItem;
  /** Loop variables in force, by name. */
  readonly env: ReadonlyMap<string, number>;
  readonly file: string;
}

/** Row fields in force while evaluating a row expression (a `where`, a reward, a penalty). */
export interface RowScope {
  /** Known fields; undefined when the data does not declare its fields (then any name is taken as a field). */
  readonly fields: ReadonlySet<string> | undefined;
  /** What the rows are, for messages: "the rows of dataset 'vl'". */
  readonly what: string;
}

export interface Scope {
  readonly env: ReadonlyMap<string, number>;
  readonly file: string;
  readonly row?: RowScope;
}

export function kindOf(inst: Instance): string {
  return inst.item.kind === "stage" ? "stage" : inst.item.declKind;
}

export type FieldWithOrigin = Field & { readonly fromDefaults: boolean };
