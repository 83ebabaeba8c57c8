import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const tmp = mkdtempSync(path.join(tmpdir(), "stagecraft-cli-"));
const bad = path.join(tmp, "bad.sc");
writeFileSync(bad, 'dataset d = synthetic("visual_arith", rows: 10)\ndataset e = d | where qualty > 1\nstage x : sft { data = e }\n');

describe("stagecraft check", () => {
  it("exits 0 and says so on clean files", async () => {
    const r = await runCli(["check", "workflows/skywork-r1v.sc", "workflows/tiny-r1v.sc"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no problems");
    expect(r.stderr).toBe("");
  });

  it("exits 1 and renders every error with file:line:col", async () => {
    const r = await runCli(["check", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:2:23: error[SC2009]`);
    expect(r.stderr).toContain(`${bad}:3:7: error[SC2104]`);
    expect(r.stderr).toMatch(/\n\d+ errors\n$/);
  });

  it("--json carries codes, severities and spans", async () => {
    const r = await runCli(["check", "--json", bad]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { diagnostics: { code: string; span: { line: number; col: number } }[]; errors: number };
    expect(out.errors).toBe(out.diagnostics.length);
    expect(out.diagnostics[0]).toMatchObject({ code: "SC2009", span: { line: 2, col: 23 } });
  });

  it("a cycle made through the files commands name is an error in check, plan and run", async () => {
    const file = path.join(tmp, "cycle.sc");
    writeFileSync(file, 'stage a : command { run = ["cat", "y.txt"]  outputs = ["x.txt"] }\nstage b : command { run = ["cat", "x.txt"]  outputs = ["y.txt"] }\nstage c : command { run = ["true"] }\n');
    for (const cmd of ["check", "plan", "run"]) {
      const r = await runCli([cmd, file, ...(cmd === "check" ? [] : ["--cache-dir", path.join(tmp, "cycle-cache")])]);
      expect(r.code, cmd).toBe(1);
      expect(r.stderr, cmd).toContain(`${file}:2:7: error[SC3002]: stages depend on each other in a cycle: b → a → b`);
    }
  });

  it("says why a file cannot be read, never hangs on a FIFO, and never says 'no problems' beside it", async () => {
    const fifo = path.join(tmp, "fifo.sc");
    spawnSync("mkfifo", [fifo]);
    const good = path.join(tmp, "good.sc");
    writeFileSync(good, 'stage a : command { run = ["true"] }\n');
    const r = await runCli(["check", fifo, path.join(tmp, "missing.sc"), tmp, good]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot read '${fifo}': is not a regular file (a FIFO or a device)`);
    expect(r.stderr).toContain(`cannot read '${path.join(tmp, "missing.sc")}': no such file`);
    expect(r.stderr).toContain(`cannot read '${tmp}': is a directory`);
    expect(r.stdout).not.toContain("no problems");
    const json = JSON.parse((await runCli(["check", "--json", fifo])).stdout) as { unreadable: unknown[]; errors: number };
    expect(json).toMatchObject({ unreadable: [{ file: fifo, error: "is not a regular file (a FIFO or a device)" }], errors: 1 });
    const imp = path.join(tmp, "imports-dir.sc");
    writeFileSync(imp, `import "${path.basename(tmp)}"\n`);
    mkdirSync(path.join(tmp, path.basename(tmp)), { recursive: true });
    expect((await runCli(["check", imp])).stderr).toContain(`cannot read the imported file '${path.basename(tmp)}'`);
  });

  it("a byte-order mark does not shift the columns of the first line", async () => {
    const file = path.join(tmp, "bom.sc");
    writeFileSync(file, "\ufeffparam a = zz\n");
    expect((await runCli(["check", file])).stderr).toContain(`${file}:1:11: error[SC2001]: unknown name 'zz'`);
  });

  it("reports missing files and bad usage without throwing", async () => {
    expect((await runCli(["check", path.join(tmp, "missing.sc")])).code).toBe(1);
    expect((await runCli(["check"])).code).toBe(64);
    expect((await runCli(["frobnicate"])).code).toBe(64);
    expect((await runCli(["check", "--bogus", bad])).code).toBe(64);
    expect((await runCli(["check", tmp])).code).toBe(1);
  });

  it("the installed bin runs the bundled CLI", () => {
    const r = spawnSync(process.execPath, ["bin/stagecraft.js", "check", "workflows/tiny-r1v.sc"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("no problems");
  });
});
