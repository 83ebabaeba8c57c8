import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  digestBytes,
  digestFile,
  digestJson,
  isDigest,
  parseDigest,
  READ_CHUNK,
} from "../../src/cache/digest.js";
import { tempDir } from "./helpers.js";

const sha = (b: Uint8Array | string): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("digests", () => {
  it("match node:crypto on known content", () => {
    expect(digestBytes("")).toBe("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(digestBytes("hello\n")).toBe("sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    const bytes = randomBytes(1000);
    expect(digestBytes(bytes)).toBe(sha(bytes));
  });

  it("of files match node:crypto across chunk boundaries", async () => {
    const dir = await tempDir();
    for (const size of [0, 1, READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1, 2 * READ_CHUNK + 12345]) {
      const bytes = randomBytes(size);
      const file = path.join(dir, `f${size}`);
      await writeFile(file, bytes);
      expect(await digestFile(file), `size ${size}`).toBe(sha(bytes));
    }
  });

  it("are recognised only in the sha256:<64 hex> form", () => {
    expect(isDigest(digestBytes("x"))).toBe(true);
    expect(isDigest("sha256:" + "A".repeat(64))).toBe(false);
    expect(isDigest("a".repeat(64))).toBe(false);
    expect(parseDigest("sha256:" + "0".repeat(63))).toBeUndefined();
    expect(parseDigest(42)).toBeUndefined();
  });
});

describe("canonical JSON", () => {
  it("sorts keys at every depth and drops whitespace", () => {
    const v = { b: 1, a: { d: [3, "x", null, true, { z: 0, y: false }], c: "é" } };
    expect(canonicalJson(v)).toBe('{"a":{"c":"é","d":[3,"x",null,true,{"y":false,"z":0}]},"b":1}');
    expect(digestJson(v)).toBe(digestJson({ a: { c: "é", d: [3, "x", null, true, { y: false, z: 0 }] }, b: 1 }));
    expect(digestJson(v)).toBe(sha(canonicalJson(v)));
    expect(digestJson([1, 2])).not.toBe(digestJson([2, 1]));
  });

  it("prints numbers as JavaScript does", () => {
    expect(canonicalJson([1e21, 1e-7, 0.1, -0, 2e-4, 100, 1.5])).toBe("[1e+21,1e-7,0.1,0,0.0002,100,1.5]");
  });

  it("sorts keys by code unit, not locale", () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, "10": 4, "9": 5 })).toBe('{"10":4,"9":5,"B":2,"a":3,"b":1}');
  });

  it("accepts objects without a prototype", () => {
    const o = Object.assign(Object.create(null) as Record<string, unknown>, { y: 1, x: 2 });
    expect(canonicalJson(o)).toBe('{"x":2,"y":1}');
  });

  it("rejects values JSON would drop or mangle, naming where they are", () => {
    expect(() => canonicalJson(undefined)).toThrow(/undefined at \$/);
    expect(() => canonicalJson({ a: { b: undefined } })).toThrow(/undefined at \$\.a\.b/);
    expect(() => canonicalJson([1, undefined])).toThrow(/\$\[1\]/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function at \$\.f/);
    expect(() => canonicalJson({ n: NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ n: Infinity })).toThrow(/Infinity/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
    expect(() => canonicalJson({ m: new Map() })).toThrow(/Map at \$\.m/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/Date/);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"k":1},"b":[{"k":1}]}');
  });
});
