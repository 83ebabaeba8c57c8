import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/ir/canon.js";
import { checkFile } from "../../src/check/check.js";
import { fsHost } from "../../src/cli/fs-host.js";
import { lower } from "../../src/ir/lower.js";
import type { NodeId } from "../../src/ir/ir.js";
import { fingerprintNode, recordJson, staticPart } from "../../src/plan/fingerprint.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const files = [
  ...readdirSync(path.join(ROOT, "workflows")).filter((f) => f.endsWith(".sc")).map((f) => path.join("workflows", f)),
  ...readdirSync(path.join(ROOT, "test/fixtures/plans")).filter((f) => f.endsWith(".sc")).map((f) => path.join("test/fixtures/plans", f)),
];

describe("fingerprint records", () => {
  it.each(files)("%s: the record's JSON written from its kept params is its canonical JSON, for every node", (file) => {
    const before = process.cwd();
    process.chdir(ROOT);
    try {
      const r = checkFile(file, fsHost);
      expect(r.program).toBeDefined();
      const ir = lower(r.program!, (f) => r.sources.get(f) ?? "");
      const fps = new Map<NodeId, string>();
      for (const id of ir.order) {
        const node = ir.nodes.get(id)!;
        const fixed = staticPart(node, ir);
        const files = { [path.join(ROOT, "x.jsonl")]: "sha256:00" };
        const fp = fingerprintNode(node, ir, fps, files, "wasm", fixed);
        // The names beside data inputs are for reasons only, and not hashed.
        const { names: _names, ...hashed } = fp.record;
        expect(recordJson(fp.record, fixed.paramsJson)).toBe(canonicalJson(hashed));
        // The params coming back from their JSON (as a kept compilation gives them) change nothing.
        const again = fingerprintNode(node, ir, fps, files, "wasm", { paramsJson: fixed.paramsJson });
        expect(again.fingerprint).toBe(fp.fingerprint);
        expect(again.record.params).toEqual(fp.record.params);
        expect(JSON.parse(JSON.stringify(again.record))).toEqual(JSON.parse(JSON.stringify(fp.record)));
        fps.set(id, fp.fingerprint);
      }
      expect(fps.size).toBeGreaterThanOrEqual(5);
    } finally {
      process.chdir(before);
    }
  });
});
