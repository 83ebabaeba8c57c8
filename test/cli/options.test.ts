import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_OPTIONS } from "../../src/cli/args.js";
import { runCli } from "../helpers/cli.js";

describe("options per command", () => {
  it("refuses an option the command does not read, and names the ones it does", async () => {
    const r = await runCli(["check", "--yaml", "workflows/tiny-r1v.sc"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe("stagecraft check: --yaml is not an option of check (its options: --json)\n");
    const two = await runCli(["log", "--yaml", "--keep-going"]);
    expect(two.code).toBe(64);
    expect(two.stderr).toContain("--yaml, --keep-going are not options of log");
  });

  it("takes its own options and --color, --no-color everywhere", async () => {
    for (const [command, own] of Object.entries(COMMAND_OPTIONS)) {
      // Without the files a command needs, it stops later with a usage error of its own.
      const cache = mkdtempSync(path.join(tmpdir(), "sc-options-"));
      const value: Record<string, string> = { "--cache-dir": cache, "--to": cache, "--out": path.join(cache, "r.html"), "--format": "json", "--jobs": "1", "--keep-last": "1", "--max-size": "1G", "--executor": "local", "--backend": "cpu" };
      const r = await runCli([command, "--no-color", "--color", ...own.map((o) => `${o}=${value[o] ?? "x"}`)]);
      expect(r.stderr, command).not.toMatch(/not an option/);
    }
  });

  it("plan --yaml works from the installed bin (the bundled yaml package)", () => {
    const cache = mkdtempSync(path.join(tmpdir(), "sc-yaml-"));
    const r = spawnSync(process.execPath, ["bin/stagecraft.js", "plan", "workflows/tiny-r1v.sc", "--yaml", "--cache-dir", cache], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^pipeline: tiny_r1v\n/m);
    expect(r.stdout).toMatch(/^ {2}- name: init_full$/m);
  });

  it("an unknown --backend is a usage error that lists the backends", async () => {
    const r = await runCli(["plan", "workflows/tiny-r1v.sc", "--backend", "bogus", "--cache-dir", mkdtempSync(path.join(tmpdir(), "sc-backend-"))]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/unknown backend 'bogus'; backends: /);
  });
});
