import type { Span } from "../diagnostics/span.js";

/** Canonical values: what a node reads, with every name resolved. JSON, hashed with sorted keys. */
export type Canon = null | boolean | number | string | readonly Canon[] | { readonly [key: string]: Canon };

export type NodeId = string & { readonly __brand: "NodeId" };

/** Data operations, one node each; identical expressions are one node. */
export type DataOp =
  | "jsonl" | "synthetic"
  | "where" | "take" | "top" | "sample" | "dedupe" | "normalize" | "score" | "distill"
  | "union" | "intersect" | "minus"
  | "failures" | "successes" | "stage-output";

export interface IrNode {
  readonly id: NodeId;
  readonly kind: "data" | "stage";
  /** The stage kind (sft, eval, command, ...) or the data operation. */
  readonly op: string;
  /** A stage's name, or a data expression as written (or the dataset it declares). */
  readonly name: string;
  /** Every resolved value the node reads. Node references inside are node ids. */
  readonly params: Canon;
  /** Nodes whose outputs this node reads, in a fixed order. */
  readonly inputs: readonly NodeId[];
  /** Nodes that must finish first without being read (a stage's `after`). */
  readonly after: readonly NodeId[];
  /** Scheduler resources: where it runs, not what it computes, so never fingerprinted. */
  readonly resources: Canon;
  /** The pipeline text this node came from, so failures point at a line. */
  readonly span: Span;
  /** Declared sizes of a source, for cost estimates only (never fingerprinted). */
  readonly estimate?: { readonly rows?: number; readonly tokensPerRow?: number };
}

export interface PipelineSettings {
  readonly name: string;
  readonly seed: number;
  readonly cluster: { readonly gpu?: string; readonly count?: number; readonly mfu?: number; readonly peakTflops?: number } | undefined;
  readonly backend: string;
  readonly resources: Canon;
}

/** The lowered program: every node, in an order where inputs come first. */
export interface Ir {
  readonly entry: string;
  readonly pipeline: PipelineSettings;
  readonly nodes: ReadonlyMap<NodeId, IrNode>;
  readonly order: readonly NodeId[];
  /** Stage name → node id. */
  readonly stages: ReadonlyMap<string, NodeId>;
  /** Parameter counts of declared models, for cost estimates. */
  readonly modelParams: ReadonlyMap<string, number>;
}

export function stageId(name: string): NodeId {
  return `stage:${name}` as NodeId;
}
