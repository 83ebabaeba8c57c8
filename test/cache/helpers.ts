import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import type { Digest } from "../../src/cache/digest.js";
import type { NodeManifest } from "../../src/cache/manifest.js";

const made: string[] = [];

/** A fresh directory under the OS temp dir, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "stagecraft-cache-"));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Writes a file and dates it a minute back, past the stat cache's racy window. */
export async function writeSettled(file: string, data: string | Uint8Array, ageS = 60): Promise<void> {
  await writeFile(file, data);
  await age(file, ageS);
}

export async function age(file: string, seconds: number): Promise<void> {
  const t = (Date.now() - seconds * 1000) / 1000;
  await utimes(file, t, t);
}

export async function ls(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export const FP_A = "a".repeat(64);
export const FP_B = "b".repeat(64);
export const FP_C = "c".repeat(64);

export function manifest(
  fingerprint: string,
  outputs: readonly { name: string; digest: Digest; size: number }[],
  extra: Partial<NodeManifest> = {},
): NodeManifest {
  return {
    version: 1,
    fingerprint,
    node: `node-${fingerprint.slice(0, 4)}`,
    kind: "sft",
    outputs,
    record: { kind: "sft", lr: 1e-4, inputs: { data: "sha256:" + "0".repeat(64) } },
    runId: "20261129T204501Z-1-abcdef",
    startedAt: "2026-11-29T20:45:01.000Z",
    finishedAt: "2026-11-29T20:46:01.000Z",
    ...extra,
  };
}
