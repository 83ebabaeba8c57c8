import type { CheckedProgram } from "../check/check.js";
import { FUNCTIONS } from "../check/builtins.js";
import type { Instance } from "../check/scope.js";
import { STAGE_KINDS } from "../check/schema.js";
import { effectiveFields } from "../check/stages.js";
import type { Span } from "../diagnostics/span.js";
import type { Expr, ExprOf, TemplateNameNode, TemplatePart } from "../syntax/ast.js";
import path from "node:path";
import { hashCanon } from "./canon.js";
import { foldBinary } from "./fold.js";
import { lowerData } from "./data.js";
import { stageId, type Canon, type Ir, type IrNode, type NodeId, type PipelineSettings } from "./ir.js";
import { commandDir } from "./paths.js";
import { lowerRow } from "./rows.js";

export interface LowerScope {
  readonly env: ReadonlyMap<string, number>;
  readonly file: string;
}

/** Fields whose values are row expressions, lowered to RowExpr rather than to values. */
const ROW_FIELDS = new Set(["reward", "repetition_penalty"]);

/** Checked program → IR: every stage and data transform a node, identical data expressions one node. */
export class Lowerer {
  readonly nodes = new Map<NodeId, IrNode>();
  readonly order: NodeId[] = [];
  private readonly reads: Set<NodeId>[] = [];
  private readonly visiting = new Set<string>();
  /** Names anonymous data expressions by the stage field they appear in: `rl.data`. */
  context: string | undefined;

  constructor(readonly program: CheckedProgram, readonly sourceOf: (file: string) => string) {}

  /** Records that the node being lowered reads `id`. */
  read(id: NodeId): void {
    this.reads[this.reads.length - 1]?.add(id);
  }

  /** Adds a data node unless an identical one exists; returns its id. */
  addData(op: string, params: Canon, inputs: readonly NodeId[], name: string, span: Span, estimate?: IrNode["estimate"]): NodeId {
    const id = `data:${hashCanon({ op, params, inputs: [...inputs] }).slice(0, 20)}` as NodeId;
    if (!this.nodes.has(id)) {
      const node: IrNode = { id, kind: "data", op, name, params, inputs, after: [], resources: null, span, ...(estimate ? { estimate } : {}) };
      this.nodes.set(id, node);
      this.order.push(id);
    }
    return id;
  }

  /** Runs `fn` with anonymous data expressions named after `context`. */
  within<T>(context: string, fn: () => T): T {
    const outer = this.context;
    this.context = context;
    try {
      return fn();
    } finally {
      this.context = outer;
    }
  }

  /** Evaluates `fn`, returning what it read instead of recording it on the node being lowered. */
  collecting<T>(fn: () => T): { value: T; reads: NodeId[] } {
    this.reads.push(new Set());
    const value = fn();
    return { value, reads: [...(this.reads.pop() ?? [])] };
  }

  /** A reference to a node's output from the node being lowered. */
  private ref(key: "data" | "stage", id: NodeId): Canon {
    this.read(id);
    return { [key]: id };
  }

  stage(inst: Instance): NodeId {
    const id = stageId(inst.name);
    if (this.nodes.has(id) || this.visiting.has(inst.name)) return id;
    if (inst.item.kind !== "stage") return id;
    this.visiting.add(inst.name);
    this.reads.push(new Set());
    const item = inst.item;
    const sc: LowerScope = { env: inst.env, file: inst.file };
    const params: Record<string, Canon> = {};
    const after: NodeId[] = [];
    let resources: Canon = null;
    for (const f of effectiveFields(this.program, item)) {
      const fsc = f.fromDefaults ? { env: new Map<string, number>(), file: f.span.file } : sc;
      if (f.name === "after") {
        for (const a of f.value.kind === "list" ? f.value.items : [f.value]) {
          const target = this.resolveInstance(a, fsc);
          if (target) after.push(this.stage(target));
          // Any other expression (`t == 1 ? base : s_{t-1}`, `[a, b][i]`) runs after the stages its
          // value names; what it reads on the way is not an input of this stage.
          else after.push(...stageRefs(this.collecting(() => this.value(a, fsc)).value));
        }
      } else if (f.name === "resources") resources = this.value(f.value, fsc);
      else if (ROW_FIELDS.has(f.name)) params[f.name] = lowerRow(this, f.value, fsc) as unknown as Canon;
      else if (item.stageKind === "command" && f.name === "inputs") params[f.name] = this.commandInputs(f.value, fsc, `${inst.name}.inputs`);
      else params[f.name] = this.within(`${inst.name}.${f.name}`, () => this.value(f.value, fsc));
      // A field set to its default is the field left out: writing the default changes nothing.
      if (params[f.name] !== undefined && params[f.name] === STAGE_KINDS[item.stageKind]?.fields[f.name]?.value) delete params[f.name];
    }
    const inputs = [...(this.reads.pop() ?? [])];
    this.visiting.delete(inst.name);
    const node: IrNode = { id, kind: "stage", op: item.stageKind, name: inst.name, params, inputs, after, resources, span: inst.nameSpan };
    this.nodes.set(id, node);
    this.order.push(id);
    return id;
  }

  /**
   * A command's inputs, each dataset or stage with the name it is written by: the command finds it
   * in STAGECRAFT_INPUT_<NAME>, so the name is part of what it runs with (a data node shared with
   * other readers is named after the first of them).
   */
  private commandInputs(e: Expr, sc: LowerScope, label: string): Canon {
    const items = e.kind === "list" ? e.items : [e];
    const inline = (x: Expr) => x.kind !== "name" && x.kind !== "template" && x.kind !== "string";
    // Data written in place is named after the field (`s.inputs`); several such are numbered by
    // their place in the list (`s.inputs.0`, `s.inputs.2`), so each has a variable of its own.
    const numbered = items.filter(inline).length > 1;
    return items.map((item, i) => {
      const own = inline(item) ? (numbered ? `${label}.${i}` : label) : undefined;
      const v = this.within(own ?? label, () => this.value(item, sc));
      // The name it is handed over by, which holds the stage's: renaming the stage renames the
      // variable the command reads, so it is part of what the command runs with.
      const as = item.kind === "name" || item.kind === "template" ? this.resolveInstance(item, sc)?.name : own;
      return as !== undefined && v !== null && typeof v === "object" && !Array.isArray(v) ? { ...v, as } : v;
    });
  }

  resolveInstance(e: Expr, sc: LowerScope): Instance | undefined {
    if (e.kind === "name") return this.program.symbols.get(e.name);
    if (e.kind === "template") return this.program.symbols.get(this.templateText(e.name, sc));
    return undefined;
  }

  templateText(n: TemplateNameNode, sc: LowerScope): string {
    return this.partsText(n.parts, sc);
  }

  /** Text with its holes filled for this round: a template name, or a string in a loop. */
  partsText(parts: readonly TemplatePart[], sc: LowerScope): string {
    return parts.map((p) => (p.kind === "text" ? p.text : String(this.value(p.expr, sc)))).join("");
  }

  /** The canonical value of a checked expression. */
  value(e: Expr, sc: LowerScope): Canon {
    switch (e.kind) {
      case "string":
        return e.parts ? this.partsText(e.parts, sc) : e.value;
      case "number":
      case "bool":
        return e.value;
      case "regex":
        return { regex: e.pattern, flags: e.flags };
      case "list":
        return e.items.map((i) => this.value(i, sc));
      case "record":
        return Object.fromEntries(e.entries.map((en) => [en.name, this.value(en.value, sc)]));
      case "paren":
        return this.value(e.expr, sc);
      case "name": {
        const v = sc.env.get(e.name);
        if (v !== undefined) return v;
        const inst = this.program.symbols.get(e.name);
        return inst ? this.instanceValue(inst) : null;
      }
      case "template": {
        const inst = this.program.symbols.get(this.templateText(e.name, sc));
        return inst ? this.instanceValue(inst) : null;
      }
      case "call":
        return this.call(e, sc);
      case "member":
        return this.member(e, sc);
      case "index": {
        const list = this.value(e.object, sc);
        const i = this.value(e.index, sc);
        return Array.isArray(list) && typeof i === "number" ? (list[i] ?? null) : null;
      }
      case "unary": {
        const v = this.value(e.operand, sc);
        if (e.op === "-") return typeof v === "number" ? -v : null;
        return typeof v === "boolean" ? !v : null;
      }
      case "binary":
        return this.binary(e, sc);
      case "ternary": {
        const cond = this.value(e.cond, sc);
        return this.value(cond === true ? e.then : e.else, sc);
      }
      case "pipe":
        return this.ref("data", lowerData(this, e, sc));
      case "error":
        return null;
    }
  }

  private instanceValue(inst: Instance): Canon {
    const sc: LowerScope = { env: inst.env, file: inst.file };
    if (inst.item.kind === "stage") return this.ref("stage", this.stage(inst));
    const item = inst.item;
    switch (item.declKind) {
      case "param":
      case "scorer":
      case "schedule":
        return this.value(item.value, sc);
      case "reward":
        return { reward: lowerRow(this, item.value, sc) as unknown as Canon };
      case "dataset":
        return this.ref("data", this.within(inst.name, () => lowerData(this, item.value, sc, inst.name)));
      case "model": {
        const def = this.value(item.value, sc);
        // A constructor call is a new part named by its declaration; a composition keeps its parts.
        return item.value.kind === "call" ? { model: inst.name, def, frozen: item.frozen } : def;
      }
    }
  }

  private call(e: ExprOf<"call">, sc: LowerScope): Canon {
    const fn = e.callee.kind === "name" ? e.callee.name : "";
    if (FUNCTIONS[fn]?.category === "dataset") return this.ref("data", lowerData(this, e, sc));
    const args = this.callArgs(e, sc);
    // A plain number is a constant learning rate, so constant(x) is x.
    if (fn === "constant" && typeof args["lr"] === "number") return args["lr"];
    return { call: fn, args };
  }

  /** Arguments by parameter name, so warmup(3%) and warmup(ratio: 3%) are the same value. */
  callArgs(e: ExprOf<"call">, sc: LowerScope): Record<string, Canon> {
    const fn = e.callee.kind === "name" ? e.callee.name : "";
    const spec = FUNCTIONS[fn];
    const args: Record<string, Canon> = {};
    const positional = (spec?.params ?? []).filter((p) => !p.namedOnly);
    let pi = 0;
    for (const a of e.args) {
      const v = this.value(a.value, sc);
      if (a.name !== undefined) args[a.name] = v;
      else {
        const p = positional[pi];
        if (p?.variadic) args[p.name] = [...((args[p.name] as Canon[] | undefined) ?? []), v];
        else {
          args[p?.name ?? `arg${pi}`] = v;
          pi++;
        }
      }
    }
    // An argument given its default is the argument left out (see ParamSpec.value).
    for (const p of spec?.params ?? []) {
      const d = typeof p.value === "function" ? p.value(args) : p.value;
      if (d !== undefined && args[p.name] === d) delete args[p.name];
    }
    return args;
  }

  private member(e: ExprOf<"member">, sc: LowerScope): Canon {
    if (e.name === "failures" || e.name === "successes") return this.ref("data", lowerData(this, e, sc));
    const obj = this.value(e.object, sc);
    if (e.name === "width" || e.name === "params") {
      const inst = this.resolveInstance(e.object, sc);
      const ty = inst ? this.program.types.get(inst) : undefined;
      if (ty?.t === "model") return (e.name === "width" ? ty.model.width : ty.model.params) ?? null;
      return null;
    }
    if (obj && typeof obj === "object" && !Array.isArray(obj) && "call" in obj) return { scorer: obj, output: e.name };
    if (obj && typeof obj === "object" && !Array.isArray(obj)) return (obj as Record<string, Canon>)[e.name] ?? null;
    return null;
  }

  private binary(e: ExprOf<"binary">, sc: LowerScope): Canon {
    switch (e.op) {
      case "union":
      case "intersect":
      case "minus":
        return this.ref("data", lowerData(this, e, sc));
      case ">>":
        return { compose: [...flatten(this.value(e.left, sc), "compose"), this.value(e.right, sc)] };
      case "then":
        return { then: [...flatten(this.value(e.left, sc), "then"), this.value(e.right, sc)] };
      case "with":
        return { replace: e.left.kind === "name" ? e.left.name : null, with: this.value(e.right, sc) };
      default:
        return foldBinary(e.op, this.value(e.left, sc), this.value(e.right, sc)) ?? null;
    }
  }
}

/** The stages a value refers to: `{ stage: id }`, or a list of them. */
function stageRefs(v: Canon): NodeId[] {
  if (Array.isArray(v)) return v.flatMap(stageRefs);
  if (v && typeof v === "object" && typeof (v as Record<string, Canon>)["stage"] === "string") return [(v as Record<string, Canon>)["stage"] as NodeId];
  return [];
}

function flatten(v: Canon, key: string): Canon[] {
  if (v && typeof v === "object" && !Array.isArray(v) && key in v) {
    const inner = (v as Record<string, Canon>)[key];
    if (Array.isArray(inner)) return [...inner];
  }
  return [v];
}

function pipelineSettings(l: Lowerer): PipelineSettings {
  const p = l.program.pipeline;
  const get = (name: string): Canon => {
    const f = p?.fields.find((x) => x.name === name);
    return f ? l.value(f.value, { env: new Map(), file: f.span.file }) : null;
  };
  const cluster = get("cluster") as Record<string, Canon> | null;
  return {
    name: p?.name ?? "pipeline",
    seed: typeof get("seed") === "number" ? (get("seed") as number) : 0,
    cluster: cluster
      ? {
          ...(typeof cluster["gpu"] === "string" ? { gpu: cluster["gpu"] } : {}),
          ...(typeof cluster["count"] === "number" ? { count: cluster["count"] } : {}),
          ...(typeof cluster["mfu"] === "number" ? { mfu: cluster["mfu"] } : {}),
          ...(typeof cluster["peak_tflops"] === "number" ? { peakTflops: cluster["peak_tflops"] } : {}),
        }
      : undefined,
    backend: typeof get("backend") === "string" ? (get("backend") as string) : "auto",
    resources: get("resources"),
  };
}

/**
 * A command that names another command's declared output (in its argv or inputs) reads that file:
 * it must run after the stage that writes it, like a Snakemake rule whose input is another's output.
 */
function linkCommandOutputs(l: Lowerer): void {
  const writer = new Map<string, NodeId>();
  // Where a command's relative paths start: its file's directory, then its cwd (path.join normalises).
  const bases = new Map<IrNode, string>();
  const resolve = (n: IrNode, p: string): string => {
    let base = bases.get(n);
    if (base === undefined) bases.set(n, (base = commandDir(n)));
    return path.join(base, p);
  };
  for (const n of l.nodes.values()) {
    const outs = (n.params as Record<string, Canon> | null)?.["outputs"];
    if (n.op === "command" && Array.isArray(outs)) for (const o of outs) if (typeof o === "string") writer.set(resolve(n, o), n.id);
  }
  if (writer.size === 0) return;
  // A word whose last path segment names no output cannot be one, so most argv words are skipped
  // unresolved; words that normalising could change (`./`, `..`, a trailing slash) are always resolved.
  const lastSegment = (p: string): string => p.slice(p.lastIndexOf("/") + 1);
  const outputNames = new Set([...writer.keys()].map(lastSegment));
  const mayName = (x: string): boolean => outputNames.has(lastSegment(x)) || /(^|\/)\.\.?(\/|$)|\/$/.test(x);
  for (const n of [...l.nodes.values()]) {
    if (n.op !== "command") continue;
    const p = n.params as Record<string, Canon>;
    const named = [...(Array.isArray(p["run"]) ? p["run"] : []), ...(Array.isArray(p["inputs"]) ? p["inputs"] : [])].filter((x): x is string => typeof x === "string" && mayName(x));
    if (named.length === 0) continue;
    const extra = named.map((x) => writer.get(resolve(n, x))).filter((w): w is NodeId => w !== undefined && w !== n.id && !n.after.includes(w) && !n.inputs.includes(w));
    if (extra.length) l.nodes.set(n.id, { ...n, after: [...n.after, ...new Set(extra)] });
  }
}

export function lower(program: CheckedProgram, sourceOf: (file: string) => string): Ir {
  const l = new Lowerer(program, sourceOf);
  for (const s of program.stages) l.stage(s.inst);
  linkCommandOutputs(l);
  const stages = new Map(program.stages.map((s) => [s.inst.name, stageId(s.inst.name)]));
  const modelParams = new Map<string, number>();
  for (const [inst, ty] of program.types) {
    if (inst.item.kind === "decl" && inst.item.declKind === "model" && ty.t === "model" && ty.model.params !== undefined) modelParams.set(inst.name, ty.model.params);
  }
  return { entry: program.entry, pipeline: pipelineSettings(l), nodes: l.nodes, order: dependencyOrder(l.nodes, l.order), stages, modelParams };
}

/**
 * `order` with every node after what it reads and what it runs after. Lowering already puts inputs
 * first; an edge added from a file one command names and another writes can point forward (the
 * reader declared before the writer). Stable: nodes already in order keep their places.
 */
function dependencyOrder(nodes: ReadonlyMap<NodeId, IrNode>, order: readonly NodeId[]): NodeId[] {
  const out: NodeId[] = [];
  const seen = new Set<NodeId>();
  const visit = (id: NodeId): void => {
    if (seen.has(id)) return; // a cycle cannot reach here: the checker refuses them
    seen.add(id);
    const n = nodes.get(id);
    if (n) for (const d of [...n.inputs, ...n.after]) visit(d);
    out.push(id);
  };
  for (const id of order) visit(id);
  return out;
}
