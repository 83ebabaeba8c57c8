import { createHash } from "node:crypto";
import path from "node:path";
import type { Canon, IrNode, NodeId } from "../../../src/ir/ir.js";
import { num, obj, str } from "../../../src/ir/read.js";
import { type JsonlRow, readJsonl } from "../../data/jsonl.js";
import type { RunnerContext } from "../../runner.js";

/** Reading a stage's canonical params: every accessor takes the value as lowering left it. */
export type Params = Readonly<Record<string, Canon>>;

export { num, obj, str };
export const list = (v: Canon | undefined): readonly Canon[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** The node a `{stage: id}` or `{data: id}` reference names. */
export function refOf(v: Canon | undefined, key: "stage" | "data"): NodeId | undefined {
  const id = obj(v)[key];
  return typeof id === "string" ? (id as NodeId) : undefined;
}

export function paramsOf(node: IrNode): Params {
  return obj(node.params);
}

/** The stage's seed: its own `seed`, else the pipeline's. */
export function stageSeed(node: IrNode, ctx: RunnerContext): number {
  return num(paramsOf(node)["seed"], ctx.ir.pipeline.seed);
}

/** A seed derived from the pipeline seed and a name, so a declared part starts from the same weights in every stage that creates it. */
export function derivedSeed(seed: number, name: string): number {
  const h = createHash("sha256").update(`${seed}\0${name}`).digest();
  return h.readUIntBE(0, 6);
}

export type Row = Readonly<Record<string, unknown>>;

/** The rows file a `{data: id}` input reads: a jsonl source in place, anything else from the store. */
export function rowsFile(ctx: RunnerContext, id: NodeId): string {
  const n = ctx.ir.nodes.get(id);
  if (n?.op === "jsonl") return path.resolve(str(obj(n.params)["path"]));
  const file = ctx.outputs(id).get("data.jsonl");
  if (!file) throw new Error(`input ${n?.name ?? id} has no rows file`);
  return file;
}

/** Every row of a stage's `data`, in file order (training sets here are small enough to hold). */
export async function readRows(ctx: RunnerContext, node: IrNode): Promise<Row[]> {
  return (await readDataRows(ctx, node)).map((r) => r.row);
}

/** The rows of a stage's `data` with their JSON text as read, for stages that write them back. */
export async function readDataRows(ctx: RunnerContext, node: IrNode): Promise<JsonlRow[]> {
  const id = refOf(paramsOf(node)["data"], "data");
  if (!id) throw new Error(`stage ${node.name} has no data`);
  const rows = await readRowsFile(rowsFile(ctx, id));
  if (rows.length === 0) throw new Error(`stage ${node.name}: its data has no rows`);
  return rows;
}

/** Every row of a rows file; a malformed line fails with its file and line. */
export async function readRowsFile(file: string): Promise<JsonlRow[]> {
  const rows: JsonlRow[] = [];
  for await (const r of readJsonl(file)) rows.push(r);
  return rows;
}
