import { didYouMean } from "../diagnostics/suggest.js";
import type { Arg, ExprOf } from "../syntax/ast.js";
import { FUNCTIONS, GENERATORS, RULE_SCORERS, type FnSpec, type ParamSpec } from "./builtins.js";
import type { Checker } from "./checker.js";
import { conform } from "./conform.js";
import { evalExpr } from "./evaluate.js";
import { modelTy } from "./models.js";
import type { Scope } from "./scope.js";
import { UNKNOWN, type Ty } from "./types.js";

export interface BoundArgs {
  /** Each parameter's arguments (several for a variadic one), checked against the parameter's expectation. */
  readonly values: ReadonlyMap<string, { arg: Arg; ty: Ty }[]>;
  readonly ok: boolean;
}

/** Matches arguments to parameters: positional in order, then by name. Reports what does not fit. */
export function bindArgs(c: Checker, fname: string, params: readonly ParamSpec[], args: readonly Arg[], at: ExprOf<"call">["span"], scope: Scope): BoundArgs {
  const values = new Map<string, { arg: Arg; ty: Ty }[]>();
  let ok = true;
  const positional = params.filter((p) => !p.namedOnly);
  let pi = 0;
  for (const arg of args) {
    let p: ParamSpec | undefined;
    if (arg.name !== undefined) {
      p = params.find((q) => q.name === arg.name);
      if (!p) {
        ok = false;
        c.reportIn(scope, "SC2105", arg.nameSpan ?? arg.span, `${fname}() has no parameter '${arg.name}'`, {
          suggestion: didYouMean(arg.name, params.map((q) => q.name)) ?? `parameters: ${params.map((q) => q.name).join(", ") || "none"}`,
        });
        evalExpr(c, arg.value, scope);
        continue;
      }
      if (values.has(p.name) && !p.variadic) {
        ok = false;
        c.reportIn(scope, "SC2105", arg.nameSpan ?? arg.span, `'${p.name}' is given twice to ${fname}()`);
        continue;
      }
    } else {
      p = positional[pi];
      if (p && !p.variadic) pi++;
      if (!p) {
        ok = false;
        const named = params.filter((q) => q.namedOnly).map((q) => `${q.name}:`);
        c.reportIn(scope, "SC2105", arg.span, `${fname}() takes ${positional.length || "no"} positional argument${positional.length === 1 ? "" : "s"}; this one is extra`, {
          suggestion: named.length ? `name it: ${named.join(", ")}` : undefined,
        });
        evalExpr(c, arg.value, scope);
        continue;
      }
    }
    const ty = conform(c, arg.value, p.expect, `${fname}(${p.name})`, scope);
    if (ty.t === "unknown") ok = false;
    values.set(p.name, [...(values.get(p.name) ?? []), { arg, ty }]);
  }
  for (const p of params) {
    if (p.required && !values.has(p.name)) {
      ok = false;
      c.reportIn(scope, "SC2105", at, `${fname}() needs ${p.namedOnly ? `'${p.name}:'` : `a ${p.name}`} (${p.doc})`);
    }
  }
  return { values, ok };
}

const numOf = (b: BoundArgs, name: string): number | undefined => {
  const ty = b.values.get(name)?.[0]?.ty;
  return ty?.t === "number" ? ty.value : undefined;
};
const strOf = (b: BoundArgs, name: string): string | undefined => {
  const ty = b.values.get(name)?.[0]?.ty;
  return ty?.t === "string" ? ty.value : undefined;
};
const listOfStrings = (b: BoundArgs, name: string): string[] | undefined => {
  const ty = b.values.get(name)?.[0]?.ty;
  if (ty?.t !== "list") return undefined;
  return ty.items.flatMap((i) => (i.t === "string" && i.value !== undefined ? [i.value] : []));
};

/** A call of a built-in function. */
export function checkCall(c: Checker, e: ExprOf<"call">, scope: Scope): Ty {
  if (e.callee.kind !== "name") {
    c.reportIn(scope, "SC2008", e.callee.span, "only built-in functions can be called");
    for (const a of e.args) evalExpr(c, a.value, scope);
    return UNKNOWN;
  }
  const name = e.callee.name;
  const spec: FnSpec | undefined = FUNCTIONS[name];
  if (!spec) {
    const declared = c.symbols.get(name);
    if (declared && c.visible(declared, scope.file)) {
      c.reportIn(scope, "SC2101", e.callee.span, `'${name}' is a ${declared.item.kind === "stage" ? "stage" : declared.item.declKind}, not a function`);
    } else {
      c.reportIn(scope, "SC2008", e.callee.span, `unknown function '${name}'`, { suggestion: didYouMean(name, Object.keys(FUNCTIONS)) });
    }
    for (const a of e.args) evalExpr(c, a.value, scope);
    return UNKNOWN;
  }
  const first = e.args[0];
  if (name === "matches" && e.args.length === 2 && first && first.name === undefined) {
    // matches(field, /re/): the field is read from the row.
    evalExpr(c, first.value, scope);
    const rest = e.args.slice(1);
    const b = bindArgs(c, name, spec.params, rest, e.span, scope);
    return b.ok ? { t: "reward", of: "bool" } : UNKNOWN;
  }
  const b = bindArgs(c, name, spec.params, e.args, e.span, scope);
  return result(c, name, b, e, scope);
}

function result(c: Checker, name: string, b: BoundArgs, e: ExprOf<"call">, scope: Scope): Ty {
  switch (name) {
    case "vision":
      return modelTy({ width: numOf(b, "width"), params: numOf(b, "params") });
    case "llm":
      return modelTy({ width: numOf(b, "width"), inWidth: numOf(b, "width"), params: numOf(b, "params") });
    case "vision_encoder": {
      const image = numOf(b, "image");
      const patch = numOf(b, "patch");
      const width = numOf(b, "width");
      const layers = numOf(b, "layers") ?? 1;
      if (image !== undefined && patch !== undefined && image % patch !== 0) {
        c.reportIn(scope, "SC2102", b.values.get("patch")?.[0]?.arg.span ?? e.span, `patch ${patch} does not divide the image side ${image}`);
      }
      const params = patch !== undefined && width !== undefined ? patch * patch * width + width + layers * 2 * (width * width + width) : undefined;
      return modelTy({ width, params });
    }
    case "mlp": {
      const inW = numOf(b, "in");
      const out = numOf(b, "out");
      const layers = numOf(b, "layers") ?? 2;
      const hidden = numOf(b, "hidden") ?? (inW !== undefined && out !== undefined ? Math.max(inW, out) : undefined);
      let params: number | undefined;
      if (inW !== undefined && out !== undefined && hidden !== undefined) {
        params = layers === 1 ? inW * out + out : inW * hidden + hidden + (layers - 2) * (hidden * hidden + hidden) + hidden * out + out;
      }
      return modelTy({ width: out, inWidth: inW, params });
    }
    case "decoder_lm": {
      const width = numOf(b, "width");
      const heads = numOf(b, "heads");
      const layers = numOf(b, "layers");
      const vocab = numOf(b, "vocab") ?? 64;
      if (width !== undefined && heads !== undefined && width % heads !== 0) {
        c.reportIn(scope, "SC2102", b.values.get("heads")?.[0]?.arg.span ?? e.span, `${heads} heads do not divide the width ${width}`);
      }
      const params = width !== undefined && layers !== undefined ? vocab * width * 2 + layers * 12 * width * width : undefined;
      return modelTy({ width, inWidth: width, params });
    }
    case "jsonl": {
      const fields = listOfStrings(b, "fields");
      const rows = numOf(b, "rows");
      return { t: "dataset", data: { fields: fields ? new Set(fields) : undefined, ...(rows !== undefined ? { rows } : {}) } };
    }
    case "synthetic": {
      const gen = strOf(b, "generator");
      const rows = numOf(b, "rows");
      if (gen === undefined) return UNKNOWN;
      const g = GENERATORS[gen];
      if (!g) {
        c.reportIn(scope, "SC2008", b.values.get("generator")?.[0]?.arg.span ?? e.span, `there is no built-in generator "${gen}"`, {
          suggestion: didYouMean(gen, Object.keys(GENERATORS)) ?? `generators: ${Object.keys(GENERATORS).join(", ")}`,
        });
        return UNKNOWN;
      }
      const worked = b.values.get("rationale")?.[0]?.ty;
      const fields = g.fields.filter((f) => f !== "rationale" || worked?.t !== "bool" || worked.value !== false);
      return { t: "dataset", data: { fields: new Set(fields), ...(rows !== undefined ? { rows } : {}) } };
    }
    case "command": {
      const outputs = listOfStrings(b, "outputs");
      return { t: "scorer", outputs: outputs ?? ["score"] };
    }
    case "rule": {
      const rule = strOf(b, "name");
      if (rule === undefined) return UNKNOWN;
      const r = RULE_SCORERS[rule];
      if (!r) {
        c.reportIn(scope, "SC2008", e.args[0]?.span ?? e.span, `there is no built-in rule scorer "${rule}"`, {
          suggestion: didYouMean(rule, Object.keys(RULE_SCORERS)) ?? `rule scorers: ${Object.keys(RULE_SCORERS).join(", ")}`,
        });
        return UNKNOWN;
      }
      return { t: "scorer", outputs: r.outputs };
    }
    case "warmup": {
      const given = ["ratio", "steps"].filter((k) => b.values.has(k));
      if (given.length !== 1) c.reportIn(scope, "SC2105", e.span, given.length ? "warmup() takes a ratio or steps:, not both" : "warmup() needs a ratio (3%) or steps:");
      return { t: "schedule" };
    }
    case "cosine": {
      const from = numOf(b, "from");
      const min = numOf(b, "min");
      if (from !== undefined && min !== undefined && min >= from) c.reportIn(scope, "SC2102", b.values.get("min")?.[0]?.arg.span ?? e.span, `cosine's min (${min}) must be below its from (${from})`);
      return { t: "schedule" };
    }
    case "constant":
    case "linear":
    case "multistep":
      return { t: "schedule" };
    case "matches":
    case "contains":
      return { t: "reward", of: "bool" };
    case "length_penalty":
      return { t: "reward", of: "number" };
    default:
      return rowMath(name, b);
  }
}

function rowMath(name: string, b: BoundArgs): Ty {
  const vals = [...b.values.values()].flat().map((v) => v.ty);
  if (vals.some((v) => v.t === "reward")) return { t: "reward", of: "number" };
  const nums = vals.map((v) => (v.t === "number" ? v.value : undefined));
  if (name === "len" || nums.some((n) => n === undefined)) return { t: "number" };
  const xs = nums as number[];
  const f: Record<string, (xs: number[]) => number> = {
    min: (a) => Math.min(...a),
    max: (a) => Math.max(...a),
    exp: (a) => Math.exp(a[0]!),
    log: (a) => Math.log(a[0]!),
    sqrt: (a) => Math.sqrt(a[0]!),
    abs: (a) => Math.abs(a[0]!),
    clamp: (a) => Math.min(Math.max(a[0]!, a[1]!), a[2]!),
  };
  const v = f[name]?.(xs);
  return v === undefined || !Number.isFinite(v) ? { t: "number" } : { t: "number", value: v, integer: Number.isInteger(v) };
}
