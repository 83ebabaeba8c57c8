import type { Checker } from "./checker.js";
import { conformTy } from "./conform.js";
import { evalExpr } from "./evaluate.js";
import type { DeclItem, Instance, Scope } from "./scope.js";
import { describeTy, UNKNOWN, type Ty } from "./types.js";

const ARTICLE: Record<string, string> = { model: "a model", dataset: "a dataset", scorer: "a scorer", schedule: "a schedule", reward: "a reward", param: "a param" };

/** The keyword a value of this type is declared with, for "declare it with `model`" hints. */
function keywordFor(ty: Ty): string | undefined {
  switch (ty.t) {
    case "model": return "model";
    case "dataset": return "dataset";
    case "scorer": return "scorer";
    case "schedule": return "schedule";
    case "reward": return "reward";
    case "number": case "string": case "bool": case "list": case "record": return "param";
    default: return undefined;
  }
}

/** The type of a `model | dataset | scorer | schedule | reward | param` declaration. */
export function checkDecl(c: Checker, inst: Instance, item: DeclItem): Ty {
  const scope: Scope = { env: inst.env, file: inst.file };
  if (item.frozen && item.declKind !== "model") {
    c.reportIn(scope, "SC2101", item.frozenSpan ?? item.span, `only models can be frozen, and '${inst.name}' is ${ARTICLE[item.declKind]}`, { suggestion: "remove 'frozen'" });
  }
  if (item.declKind === "reward") {
    // Reward expressions read completion and row fields; which fields exist is checked where the reward is used.
    const ty = evalExpr(c, item.value, { ...scope, row: { fields: undefined, what: "the rows" } });
    return conformTy(c, ty, item.value, { is: "reward" }, `reward '${inst.name}'`, scope);
  }
  const ty = evalExpr(c, item.value, scope);
  if (ty.t === "unknown") return ty;
  const mismatch = (): Ty => {
    const kw = keywordFor(ty);
    c.reportIn(scope, "SC2101", item.value.span, `${item.declKind} '${inst.name}' must be ${ARTICLE[item.declKind]}, but this is ${describeTy(ty)}`, {
      suggestion: kw && kw !== item.declKind ? `declare it with '${kw}'` : undefined,
    });
    return UNKNOWN;
  };
  switch (item.declKind) {
    case "model": {
      if (ty.t !== "model") return mismatch();
      if (ty.stage !== undefined) return ty;
      // A constructor call names a new part; a composition keeps its parts' names.
      const fresh = ty.model.parts.length === 0;
      const parts = fresh ? [inst.name] : ty.model.parts;
      const frozen = new Set(ty.model.frozen);
      if (item.frozen) for (const p of parts) frozen.add(p);
      const partWidths = fresh
        ? new Map([[inst.name, { ...(ty.model.inWidth !== undefined ? { in: ty.model.inWidth } : {}), ...(ty.model.width !== undefined ? { out: ty.model.width } : {}) }]])
        : ty.model.partWidths;
      return { t: "model", model: { ...ty.model, parts, frozen, ...(partWidths ? { partWidths } : {}) } };
    }
    case "dataset":
      if (ty.t !== "dataset") return mismatch();
      return { t: "dataset", data: { ...ty.data, label: `dataset '${inst.name}'` } };
    case "scorer":
      return ty.t === "scorer" ? ty : mismatch();
    case "schedule":
      if (ty.t === "number") return conformTy(c, ty, item.value, { is: "lr" }, `schedule '${inst.name}'`, scope).t === "unknown" ? UNKNOWN : { t: "schedule" };
      return ty.t === "schedule" ? ty : mismatch();
    case "param":
      return ty.t === "number" || ty.t === "string" || ty.t === "bool" || ty.t === "list" || ty.t === "record" ? ty : mismatch();
  }
}
