import path from "node:path";
import type { Expr, ExprOf, Transform } from "../syntax/ast.js";
import type { Canon, NodeId } from "./ir.js";
import type { LowerScope, Lowerer } from "./lower.js";
import { obj } from "./read.js";
import { lowerRow } from "./rows.js";

/** How a data expression is named in plans: its source text, whitespace collapsed. */
function label(l: Lowerer, e: { span: { file: string; start: number; end: number } }): string {
  const text = l.sourceOf(e.span.file).slice(e.span.start, e.span.end).replace(/\s+/g, " ").trim();
  return text.length > 72 ? `${text.slice(0, 69)}...` : text;
}

function fieldName(e: Expr | undefined): string | undefined {
  if (!e) return undefined;
  if (e.kind === "name") return e.name;
  if (e.kind === "string") return e.value;
  return undefined;
}

/** A data expression → the id of the node that produces it (sources, transforms, set operations). */
export function lowerData(l: Lowerer, e: Expr, sc: LowerScope, name?: string): NodeId {
  switch (e.kind) {
    case "paren":
      return lowerData(l, e.expr, sc, name);
    case "name":
    case "template": {
      const inst = l.resolveInstance(e, sc);
      if (inst?.item.kind === "decl") {
        const value = inst.item.value;
        return l.within(inst.name, () => lowerData(l, value, { env: inst.env, file: inst.file }, inst.name));
      }
      if (inst?.item.kind === "stage") {
        const stage = l.stage(inst);
        // Named apart from the stage: run records and reasons look nodes up by name.
        return l.addData("stage-output", { stage }, [stage], `${inst.name}.rows`, e.span);
      }
      break;
    }
    case "ternary":
      return lowerData(l, l.value(e.cond, sc) === true ? e.then : e.else, sc, name);
    case "member": {
      const inst = l.resolveInstance(e.object, sc);
      if (inst?.item.kind === "stage" && (e.name === "failures" || e.name === "successes")) {
        const stage = l.stage(inst);
        return l.addData(e.name, { stage }, [stage], name ?? `${inst.name}.${e.name}`, e.span);
      }
      break;
    }
    case "call":
      return source(l, e, sc, name);
    case "binary":
      if (e.op === "union" || e.op === "intersect" || e.op === "minus") {
        const base = name ?? l.context ?? label(l, e);
        const a = l.within(`${base}:left`, () => lowerData(l, e.left, sc));
        const b = l.within(`${base}:right`, () => lowerData(l, e.right, sc));
        return l.addData(e.op, { by: "id" }, [a, b], base, e.span);
      }
      break;
    case "pipe": {
      let cur = lowerData(l, e.source, sc);
      // Steps are named by where they stand (`hq:where`, `rl.data:top`), not by their text, so an
      // edited threshold is the same node with a changed value rather than a new node.
      const base = name ?? l.context ?? label(l, e);
      const seen = new Map<string, number>();
      e.steps.forEach((step, i) => {
        const last = i === e.steps.length - 1;
        const op = step.kind === "where" ? "where" : step.name;
        const k = (seen.get(op) ?? 0) + 1;
        seen.set(op, k);
        const stepName = last ? base : `${base}:${op}${k > 1 ? `#${k}` : ""}`;
        cur = lowerStep(l, step, cur, sc, stepName);
      });
      return cur;
    }
    default:
      break;
  }
  // Unreachable after checking; a distinct node keeps the plan honest if it ever happens.
  return l.addData("invalid", { text: label(l, e) }, [], label(l, e), e.span);
}

function source(l: Lowerer, e: ExprOf<"call">, sc: LowerScope, name: string | undefined): NodeId {
  const fn = e.callee.kind === "name" ? e.callee.name : "";
  const args = l.callArgs(e, sc);
  const estimate = {
    ...(typeof args["rows"] === "number" ? { rows: args["rows"] } : {}),
    ...(typeof args["tokens_per_row"] === "number" ? { tokensPerRow: args["tokens_per_row"] } : {}),
  };
  if (fn === "jsonl") {
    const rel = typeof args["path"] === "string" ? args["path"] : "";
    // Paths are relative to the pipeline file, and kept relative to the working directory.
    const file = path.isAbsolute(rel) ? rel : path.join(path.dirname(e.span.file), rel);
    return l.addData("jsonl", { path: file, on_error: args["on_error"] ?? "fail", key: args["key"] ?? "id" }, [], name ?? label(l, e), e.span, estimate);
  }
  const seed = args["seed"] ?? null;
  // Only a departure from the default is recorded, so rows with worked steps keep their fingerprint.
  const worked: Record<string, Canon> = args["rationale"] === false ? { rationale: false } : {};
  return l.addData("synthetic", { generator: args["generator"] ?? null, rows: args["rows"] ?? null, seed, ...worked }, [], name ?? label(l, e), e.span, estimate);
}

function lowerStep(l: Lowerer, step: Transform, input: NodeId, sc: LowerScope, name: string): NodeId {
  if (step.kind === "where") return l.addData("where", { predicate: lowerRow(l, step.predicate, sc) as unknown as Canon }, [input], name, step.span);
  const args = step.args ?? [];
  const named = (k: string) => args.find((a) => a.name === k);
  const positional = args.filter((a) => a.name === undefined);
  const num = (a: { value: Expr } | undefined) => (a ? l.value(a.value, sc) : null);
  switch (step.name) {
    case "take":
    case "sample":
    case "top": {
      const n = positional[0];
      const isFraction = n?.value.kind === "number" && n.value.suffix === "%";
      const params: Record<string, Canon> = isFraction ? { fraction: num(n) } : { n: num(n) };
      if (step.name === "top") params["by"] = fieldName(named("by")?.value) ?? null;
      if (step.name === "sample") params["seed"] = num(named("seed")) ?? 0;
      return l.addData(step.name, params, [input], name, step.span);
    }
    case "dedupe":
      return l.addData("dedupe", { by: fieldName(named("by")?.value) ?? null }, [input], name, step.span);
    case "normalize":
      return l.addData("normalize", { fields: positional.map((a) => fieldName(a.value) ?? "") }, [input], name, step.span);
    case "score": {
      const fields = args.map((a) => {
        const v = l.value(a.value, sc);
        const rec = obj(v);
        return "output" in rec ? { field: a.name ?? "", scorer: rec["scorer"] ?? null, output: rec["output"] ?? null } : { field: a.name ?? "", scorer: v, output: null };
      });
      return l.addData("score", { fields }, [input], name, step.span);
    }
    case "distill": {
      // The teacher is usually a stage: the distilled data depends on it.
      const { value: params, reads } = l.collecting(() => {
        const p: Record<string, Canon> = {};
        for (const a of args) {
          if (a.name === undefined) continue;
          p[a.name] = a.name === "repetition_penalty" ? (lowerRow(l, a.value, sc) as unknown as Canon) : l.value(a.value, sc);
        }
        return p;
      });
      return l.addData("distill", params, [input, ...reads], name, step.span);
    }
    case "union":
    case "intersect":
    case "minus": {
      const other = positional[0] ? lowerData(l, positional[0].value, sc) : input;
      return l.addData(step.name, { by: fieldName(named("by")?.value) ?? "id" }, [input, other], name, step.span);
    }
    default:
      return l.addData("invalid", { step: step.name }, [input], name, step.span);
  }
}
