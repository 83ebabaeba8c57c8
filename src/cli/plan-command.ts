import { renderPlan, renderPlanJson, renderPlanYaml } from "../plan/render.js";
import type { Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { openPipeline, planFor } from "./session.js";

/** `stagecraft plan FILE`: what would run, what is cached, why, and what it would cost. Writes nothing but the stat cache. */
export async function runPlan(a: Args, io: CliIO, color: boolean): Promise<number> {
  const s = await openPipeline("plan", a, io, color, "read");
  if (typeof s === "number") return s;
  const plan = await planFor(s, a);
  if (a.flags.has("--json")) io.stdout(renderPlanJson(plan));
  else if (a.flags.has("--yaml")) io.stdout(await renderPlanYaml(plan));
  else io.stdout(renderPlan(plan, { color, all: a.flags.has("--all") }));
  if (plan.totals.blocked > 0) return EXIT.errors;
  return a.flags.has("--exit-code") && plan.totals.run > 0 ? 2 : EXIT.ok;
}
