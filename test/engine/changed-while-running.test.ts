import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cleanup, planJson, spawnCli, statuses, tempDir, writeTree } from "./helpers.js";

const dirs: string[] = [];
beforeAll(assertBuilt);
afterAll(() => cleanup(...dirs));

describe("an input edited while its command runs", () => {
  it("fails the stage instead of keeping a result under the fingerprint of the old content", async () => {
    const dir = tempDir("changed-while-running");
    dirs.push(dir);
    // The command waits for the file `go`, which is not an input, so the test edits in.txt while it runs.
    writeTree(dir, {
      "p.sc": `stage a : command {
  run = ["sh", "-c", "while [ ! -f go ]; do sleep 0.05; done; cat in.txt > a.txt"]
  inputs = ["in.txt"]
  outputs = ["a.txt"]
}
`,
      "in.txt": "old\n",
    });
    const run = spawnCli(dir, ["run", "p.sc"]);
    await run.waitFor(/▶ a \(command\)/);
    writeFileSync(path.join(dir, "in.txt"), "new content\n");
    writeFileSync(path.join(dir, "go"), "");
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("input in.txt changed while a ran (or since the plan); its result was not kept");
    expect(readFileSync(path.join(dir, "in.txt"), "utf8")).toBe("new content\n");
    // Nothing was cached for the old content: put back, it still has to run.
    writeFileSync(path.join(dir, "in.txt"), "old\n");
    expect(statuses(await planJson(dir, "p.sc"))["a"]?.[0]).toBe("run");
  }, 20_000);
});
