import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const tmp = mkdtempSync(path.join(tmpdir(), "stagecraft-fmt-"));

describe("stagecraft fmt", () => {
  it("--check passes on the workflows", async () => {
    const r = await runCli(["fmt", "--check", "workflows/skywork-r1v.sc", "workflows/tiny-r1v.sc"]);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(0);
  });

  it("--check names an unformatted file and --write fixes it, keeping comments", async () => {
    const f = path.join(tmp, "messy.sc");
    writeFileSync(f, "# head\nparam   a=1   # trailing\nstage s : command {run=[\"echo\",\"x\"]}\n");
    const check = await runCli(["fmt", "--check", f]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${f}: not formatted`);
    expect((await runCli(["fmt", "--write", f])).code).toBe(0);
    const out = readFileSync(f, "utf8");
    expect(out).toBe('# head\nparam a = 1  # trailing\nstage s : command {\n  run = ["echo", "x"]\n}\n');
    expect((await runCli(["fmt", "--check", f])).code).toBe(0);
  });

  it("refuses to rewrite a file with syntax errors", async () => {
    const f = path.join(tmp, "broken.sc");
    writeFileSync(f, "stage s : sft {\n");
    const r = await runCli(["fmt", "--write", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SC1005");
    expect(readFileSync(f, "utf8")).toBe("stage s : sft {\n");
  });
});
