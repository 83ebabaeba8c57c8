import { copyFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pickBackend } from "../../runtime/backend.js";
import { expectGolden } from "../helpers/golden.js";
import { cleanup, fixtureProject, ROOT, sc, tempDir, type PlanJson } from "./helpers.js";

/**
 * `plan --json` of every real pipeline and of the small pipelines in test/fixtures/plans, against
 * checked-in goldens (UPDATE_GOLDEN=1 rewrites them). Fixtures are planned from a temp copy of the
 * project with its data written fresh, so every path in the output is relative and every fingerprint
 * a pure function of the file and its data.
 */

const FIXTURES = path.join(ROOT, "test/fixtures/plans");
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith(".sc")).sort();
// Training stages fingerprint the numeric backend, so the workflow goldens name one: the CPU backend,
// which needs only @tensorflow/tfjs-core (a dependency), rather than the best one this machine has.
const hasCpu = pickBackend("cpu").ok;
const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

/** The plan text, checked for anything that would tie it to this machine. */
function portable(text: string, dir: string): string {
  expect(text).not.toContain(dir);
  expect(text).not.toContain(ROOT);
  expect(text).not.toMatch(/"\/(tmp|home|work|Users)\//);
  return text;
}

describe("plan goldens: workflows", () => {
  it.skipIf(!hasCpu)("skywork-r1v.sc: its data files are absent, so every node is blocked, and plan exits 1", async () => {
    const cache = tempDir("golden-wf");
    dirs.push(cache);
    const r = await sc(ROOT, ["plan", "workflows/skywork-r1v.sc", "--json", "--backend", "cpu", "--cache-dir", cache]);
    expect(r.code).toBe(1);
    expectGolden(path.join(FIXTURES, "skywork-r1v.plan.json"), portable(r.stdout, cache));
    const plan = JSON.parse(r.stdout) as PlanJson;
    expect(plan.totals).toMatchObject({ run: 0, cached: 0, blocked: plan.nodes.length });
    // Only the two JSONL sources are blocked for themselves; everything else by what it reads.
    const own = plan.nodes.filter((n) => !n.reasons[0]!.startsWith("upstream "));
    expect(own.map((n) => [n.name, n.reasons])).toEqual([
      ["vl", ["input file workflows/data/vl-2m.jsonl does not exist"]],
      ["cot_40k", ["input file workflows/data/cot-40k.jsonl does not exist"]],
    ]);
  });

  it.skipIf(!hasCpu)("tiny-r1v.sc: synthetic data, so nothing is blocked and every node would run", async () => {
    const cache = tempDir("golden-wf");
    dirs.push(cache);
    const r = await sc(ROOT, ["plan", "workflows/tiny-r1v.sc", "--json", "--backend", "cpu", "--cache-dir", cache]);
    expect(r.code).toBe(0);
    expectGolden(path.join(FIXTURES, "tiny-r1v.plan.json"), portable(r.stdout, cache));
    const plan = JSON.parse(r.stdout) as PlanJson;
    expect(plan.totals).toMatchObject({ blocked: 0, cached: 0, run: plan.nodes.length });
    expect(new Set(plan.nodes.flatMap((n) => n.reasons))).toEqual(new Set(["never run"]));
  });
});

describe("plan goldens: fixtures", () => {
  it("has the fixture pipelines", () => {
    expect(fixtures).toEqual(["blocked.sc", "commands.sc", "scored.sc", "transforms.sc"]);
  });

  for (const f of fixtures) {
    it(`${f} plans to its golden`, async () => {
      const dir = tempDir("golden");
      dirs.push(dir);
      fixtureProject(dir);
      copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
      const r = await sc(dir, ["plan", f, "--json"]);
      expect(r.stderr).toBe("");
      // A blocked node makes plan exit 1; only blocked.sc has one.
      expect(r.code).toBe(f === "blocked.sc" ? 1 : 0);
      // The backend is not in any of these fingerprints (no training stages), only in the header.
      const text = portable(r.stdout, dir).replace(/^ {2}"backend": ".*",$/m, '  "backend": "(this machine\'s)",');
      expectGolden(path.join(FIXTURES, f.replace(/\.sc$/, ".plan.json")), text);
    });
  }

  it("planning from another directory gives the same fingerprints, so what ran is cached", async () => {
    const dir = tempDir("golden-cwd");
    dirs.push(dir);
    const proj = path.join(dir, "proj");
    fixtureProject(proj);
    copyFileSync(path.join(FIXTURES, "transforms.sc"), path.join(proj, "transforms.sc"));
    const inside = JSON.parse((await sc(proj, ["plan", "transforms.sc", "--json"])).stdout) as PlanJson;
    expect((await sc(proj, ["run", "transforms.sc"])).code).toBe(0);
    const outside = JSON.parse((await sc(dir, ["plan", "proj/transforms.sc", "--json", "--cache-dir", "proj/.stagecraft"])).stdout) as PlanJson;
    expect(outside.nodes.map((n) => [n.name, n.fingerprint])).toEqual(inside.nodes.map((n) => [n.name, n.fingerprint]));
    expect(outside.totals).toMatchObject({ run: 0, blocked: 0 });
  });
});
