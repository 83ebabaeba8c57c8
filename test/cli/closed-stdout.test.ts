import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, ROOT } from "../engine/helpers.js";

/**
 * `stagecraft ... | head -1`: the reader goes away while stagecraft still writes. The launcher ends
 * quietly with 141 (128 + SIGPIPE), the status a shell shows for git or ls in the same place.
 */
function withClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    // Closed before the CLI has even started, so its first write meets a pipe with no reader.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("a closed stdout", () => {
  it("ends the command quietly, with the SIGPIPE status", async () => {
    for (const args of [["--help"], ["check", path.join("workflows", "tiny-r1v.sc")]]) {
      const r = await withClosedStdout(args);
      expect(r.stderr, args.join(" ")).toBe("");
      expect(r.code, args.join(" ")).toBe(141);
    }
  });
});
