import { describe, expect, it } from "vitest";
import { LiveProgress } from "../../src/cli/progress.js";

describe("live progress", () => {
  it("keeps one live line per running node, with a bar and ETA once progress is known", () => {
    let now = 0;
    let out = "";
    const p = new LiveProgress((s) => (out += s), (e) => (e.type === "node-done" ? `done ${e.node}` : undefined), () => now);
    p.onEvent({ type: "node-start", node: "a", op: "sft" });
    p.onEvent({ type: "node-start", node: "b", op: "command" });
    now = 10_000;
    p.onEvent({ type: "progress", node: "a", done: 25, total: 100 });
    expect(p.lines()).toEqual(["  ⋯ a (sft) 10s [#####...............] 25% ETA 30s", "  ⋯ b (command) 10s"]);
    p.onEvent({ type: "node-done", node: "b", op: "command", action: "ran", seconds: 10 });
    expect(p.lines()).toEqual(["  ⋯ a (sft) 10s [#####...............] 25% ETA 30s"]);
    // Finished nodes are printed as plain lines, above the live ones, which are erased and redrawn.
    expect(out).toContain("done b\n");
    expect(out).toContain("\x1b[2A\x1b[J");
    p.stop();
  });
});
