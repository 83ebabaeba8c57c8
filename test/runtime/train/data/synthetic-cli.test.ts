import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSync } from "../../../../runtime/train/data/generators.js";
import { RULES } from "../../../../runtime/train/data/rule-scorers.js";
import { assertBuilt, cleanup, snapshot, spawnCli, tempDir, writeTree } from "../../../engine/helpers.js";

/**
 * End to end with the built CLI: synthetic sources (one on the pipeline's seed, one on its own),
 * rule scorers in `score`, a reward-model threshold, and a command stage that copies the rows out
 * so the test can count them. A second run restores every node.
 */
const PIPELINE = `pipeline synth {
  seed = 5
}

scorer rm = rule("quality")
scorer qdam = rule("qdam")
scorer vtia = rule("vtia")

dataset va = synthetic("visual_arith", rows: 300)
dataset glyphs = synthetic("glyphs", rows: 40, seed: 3)
dataset kept = va | score(rm: rm, s_v: qdam.s_v, s_i: vtia.s_i) | where rm >= 3

stage dump : command {
  run = ["sh", "-c", "cp \\"$STAGECRAFT_INPUT_KEPT\\" out/kept.jsonl && cp \\"$STAGECRAFT_INPUT_GLYPHS\\" out/glyphs.jsonl"]
  inputs = [kept, glyphs]
  outputs = ["out/kept.jsonl", "out/glyphs.jsonl"]
}
`;

const rows = (file: string): Record<string, unknown>[] =>
  readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

const dirs: string[] = [];
beforeAll(assertBuilt);
afterAll(() => cleanup(...dirs));

describe("stagecraft run with synthetic sources and rule scorers", () => {
  it("writes the rows the generators and the threshold give, then restores everything", async () => {
    const dir = tempDir("synthetic");
    dirs.push(dir);
    writeTree(dir, { "p.sc": PIPELINE, "out/.keep": "" });

    const first = await spawnCli(dir, ["run", "p.sc"]).done;
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^done: 5 ran, 0 restored, 0 failed/m);

    // A null seed is the pipeline's (5); the threshold keeps exactly the rows whose quality is >= 3.
    const expected = [...generateSync("visual_arith", 300, 5)].filter((r) => (r["quality"] as number) >= 3);
    const kept = rows(path.join(dir, "out/kept.jsonl"));
    expect(kept.length).toBe(expected.length);
    expect(kept.length).toBeGreaterThan(60);
    expect(kept.length).toBeLessThan(240);
    expect(kept.map((r) => r["id"])).toEqual(expected.map((r) => r["id"]));
    for (const [i, r] of kept.entries()) {
      const src = expected[i]!;
      expect(r["rm"]).toBe(src["quality"]);
      expect(r["s_v"]).toBe(RULES["qdam"]!(src)["s_v"]);
      expect(r["s_i"]).toBe(RULES["vtia"]!(src)["s_i"]);
    }
    const glyphs = rows(path.join(dir, "out/glyphs.jsonl"));
    expect(glyphs).toEqual([...generateSync("glyphs", 40, 3)]);

    const outputs = snapshot(path.join(dir, "out"));
    const second = await spawnCli(dir, ["run", "p.sc", "--json"]).done;
    expect(second.code, second.stderr).toBe(0);
    const events = second.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    expect(events.filter((e) => e.type === "node-start")).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: "finish", status: "ok", ran: 0, restored: 5, failed: 0 });
    expect(snapshot(path.join(dir, "out"))).toEqual(outputs);
  });
});
