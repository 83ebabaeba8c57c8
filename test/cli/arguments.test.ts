import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("arguments a command does not take", () => {
  it("a second pipeline file, or a third word for replay, is a usage error naming it", async () => {
    const r = await runCli(["run", "a.sc", "b.sc"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe("stagecraft run: unexpected 'b.sc' (usage: stagecraft run FILE)\n");
    expect((await runCli(["replay", "a.sc", "s", "t"])).stderr).toBe("stagecraft replay: unexpected 't' (usage: stagecraft replay FILE STAGE)\n");
  });

  it("an option given an empty value is a usage error, not 'no limit'", async () => {
    const r = await runCli(["cache", "gc", "--max-size", ""]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("--max-size needs a value");
  });

  it("an option where a value belongs is a usage error, not a directory named '--json'", async () => {
    const r = await runCli(["plan", "p.sc", "--cache-dir", "--json"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("--cache-dir needs a value, and '--json' is an option");
    expect(existsSync("--json")).toBe(false);
  });

  it.each(["0x2", "1e1", "-1", "1.5"])("--keep-last %s is refused", async (n) => {
    const cache = path.join(tmpdir(), `sc-no-cache-${process.pid}`);
    const r = await runCli(["cache", "gc", `--keep-last=${n}`, "--cache-dir", cache]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("--keep-last takes a whole number");
    // Refused before the cache is opened, so none was made.
    expect(existsSync(cache)).toBe(false);
  });
});
