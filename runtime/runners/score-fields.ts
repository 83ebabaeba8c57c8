import { canonicalJson } from "../../src/ir/canon.js";
import type { Canon, IrNode } from "../../src/ir/ir.js";
import { obj, str } from "../../src/ir/read.js";
import type { ScoreField } from "../data/ops.js";

/** The fields one scorer fills, all from a single run of it. */
export interface ScoreGroup {
  readonly scorer: Canon;
  readonly fields: readonly ScoreField[];
}

/**
 * The fields a score node adds, grouped by scorer, groups in the order their first field is written.
 *
 * The two ways to write scoring lower differently, and both reach this runner under the op `score`:
 * the transform `rows | score(rm: judge)` is lowered by the data lowering into `fields`, a list of
 * {field, scorer, output}; the stage `stage s : score { data = rows  scores = { rm: judge } }` is
 * lowered like every stage, its fields kept by their language names, so its scorers are in the record
 * `scores`. A value there is a scorer (its "score" output) or one output of it, `judge.s_v`, which
 * lowering writes as {scorer, output}.
 */
export function scoreGroups(node: IrNode): ScoreGroup[] {
  const p = obj(node.params);
  const wanted =
    node.kind === "stage"
      ? Object.entries(obj(p["scores"])).map(([field, v]) => ({ field, ...scorerOutput(v) }))
      : ((p["fields"] as Canon[] | undefined) ?? []).map((f) => {
          const fo = obj(f);
          return { field: str(fo["field"]), scorer: fo["scorer"] ?? null, output: str(fo["output"], "score") };
        });
  // Keyed by the scorer's canonical value: one command named twice is still one program to run.
  const groups = new Map<string, { scorer: Canon; fields: ScoreField[] }>();
  for (const { field, scorer, output } of wanted) {
    const key = canonicalJson(scorer);
    const g = groups.get(key) ?? { scorer, fields: [] };
    g.fields.push({ field, output });
    groups.set(key, g);
  }
  return [...groups.values()];
}

function scorerOutput(v: Canon): { readonly scorer: Canon; readonly output: string } {
  const r = obj(v);
  return "scorer" in r && "output" in r ? { scorer: r["scorer"] ?? null, output: str(r["output"], "score") } : { scorer: v, output: "score" };
}
