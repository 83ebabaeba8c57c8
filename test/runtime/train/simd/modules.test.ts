import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("the SIMD kernels' compiled bytes", () => {
  it("are what the .wat sources compile to (node scripts/gen-simd-kernels.mjs rewrites them)", async () => {
    const script: string = "../../../../scripts/gen-simd-kernels.mjs";
    const gen = (await import(script)) as { compileSimdKernels: () => Promise<Record<string, Buffer>>; modulesSource: (m: Record<string, Buffer>) => string; OUT: string };
    const modules = await gen.compileSimdKernels();
    expect(Object.keys(modules)).toEqual(["adamw", "gelu"]);
    const checkedIn = readFileSync(fileURLToPath(new URL("../../../../runtime/train/simd/modules.ts", import.meta.url)), "utf8");
    expect(checkedIn).toBe(gen.modulesSource(modules));
  });
});
