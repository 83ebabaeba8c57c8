import type { Canon } from "../src/ir/ir.js";
import { obj, str } from "../src/ir/read.js";
import { commandScorer } from "./data/command-scorer.js";
import type { Scorer } from "./data/ops.js";
import { RULES, ruleScorer } from "./train/data/rule-scorers.js";


/**
 * A scorer or judge from its canonical form: `command("python", "x.py", env: {...})`, run through the
 * JSONL protocol in the pipeline's directory, or `rule("quality")`, one of the built-in rule scorers.
 * The `score` transform and distillation's judge both build theirs here.
 */
export function scorerOf(v: Canon, ctx: { readonly cwd: string; readonly signal: AbortSignal }): Scorer {
  const c = obj(v);
  const args = obj(c["args"]);
  if (c["call"] === "command") {
    const argv = Array.isArray(args["argv"]) ? (args["argv"] as Canon[]).map((a) => String(a)) : [];
    const env = Object.fromEntries(Object.entries(obj(args["env"])).map(([k, x]) => [k, String(x)]));
    return commandScorer(argv, { cwd: ctx.cwd, env, signal: ctx.signal });
  }
  if (c["call"] === "rule") {
    const name = str(args["name"]);
    const rule = ruleScorer(name);
    if (!rule) throw new Error(`there is no built-in rule scorer "${name}" (the rule scorers are ${Object.keys(RULES).join(", ")})`);
    return rule;
  }
  throw new Error(`a scorer must be command(...) or rule(...), not ${str(c["call"], "this value")}`);
}
