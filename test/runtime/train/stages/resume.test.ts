import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Digest } from "../../../../src/cache/digest.js";
import { Store } from "../../../../src/cache/store.js";
import { assertBuilt, cleanup, planJson, sc, spawnCli, tempDir, writeTree } from "../../../engine/helpers.js";
import { textRows } from "./fixture.js";

/**
 * A training stage killed (SIGKILL, through the built CLI) after its first checkpoint resumes inside
 * the stage on the next `run`, from the checkpoint in `<store>/work/<fingerprint>/`, and ends with
 * the same bytes as a run that was never interrupted.
 */
const STEPS = 150;
const EVERY = 25;
/** What both pipelines below start with: a small LM and its text. */
const HEADER = `pipeline resume {
  seed = 5
}
model lm = decoder_lm(width: 32, layers: 1, heads: 2, context: 48)
dataset text = jsonl("text.jsonl")
`;
const PIPELINE = `${HEADER}stage pre : pretrain {
  model = lm
  data = text
  steps = ${STEPS}
  batch = 16
  context = 48
  lr = warmup(10%) then cosine(from: 3e-3, min: 3e-4)
  weight_decay = 0.01
  checkpoint_every = ${EVERY}
}
`;
const files = { "p.sc": PIPELINE, "text.jsonl": textRows(256, 7) };
const ARGS = ["run", "p.sc", "--backend", "wasm"];
const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

function project(tag: string, tree: Record<string, string> = files): string {
  const d = tempDir(tag);
  dirs.push(d);
  writeTree(d, tree);
  return d;
}

/** The checkpoint files under the store's work/ directory. */
function checkpoints(dir: string): string[] {
  const work = path.join(dir, ".stagecraft", "work");
  if (!existsSync(work)) return [];
  return readdirSync(work).map((fp) => path.join(work, fp, "checkpoints", "last.safetensors")).filter((f) => existsSync(f));
}

async function result(dir: string, stage = "pre"): Promise<{ weights: Buffer; stdout: string; metrics: string; fingerprint: string }> {
  const plan = await planJson(dir, "p.sc", ["--backend", "wasm"]);
  const n = plan.nodes.find((x) => x.name === stage)!;
  expect(n.status).toBe("cached");
  const store = await Store.open(path.join(dir, ".stagecraft"));
  const m = await store.readManifest(n.fingerprint);
  if (!m.ok) throw new Error(m.detail);
  const w = m.manifest.outputs.find((o) => o.name === "model.safetensors")!;
  const read = (d: Digest | undefined) => (d ? readFileSync(store.objectPath(d), "utf8") : "");
  return { weights: readFileSync(store.objectPath(w.digest)), stdout: read(m.manifest.logs?.stdout), metrics: read(m.manifest.metrics as Digest | undefined), fingerprint: n.fingerprint };
}

describe("resuming a killed training stage", () => {
  it("SIGKILL after a checkpoint, then run: it resumes inside the stage and the weights match an uninterrupted run byte for byte", async () => {
    assertBuilt();
    const killed = project("resume-killed");
    const child = spawnCli(killed, ARGS);
    // Wait for the first checkpoint (written atomically), then kill at once.
    const t0 = Date.now();
    while (checkpoints(killed).length === 0) {
      if (Date.now() - t0 > 60_000) throw new Error(`no checkpoint after 60 s:\n${child.stderr()}`);
      if (child.child.exitCode !== null) throw new Error(`the run ended before its first checkpoint:\n${child.stderr()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.child.kill("SIGKILL");
    const k = await child.done;
    expect(k.signal).toBe("SIGKILL");
    const [ckpt] = checkpoints(killed);
    expect(ckpt).toBeDefined();

    // The work directory is not a store problem.
    const verify = await sc(killed, ["cache", "verify"]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const again = await spawnCli(killed, ARGS).done;
    expect(again.code, again.stderr).toBe(0);
    const resumed = await result(killed);
    expect(resumed.stdout).toMatch(new RegExp(`resumed from the checkpoint at step (\\d+)`));
    const at = Number(/resumed from the checkpoint at step (\d+)/.exec(resumed.stdout)![1]);
    expect(at % EVERY).toBe(0);
    expect(at).toBeLessThan(STEPS);
    // The work directory goes once the result is committed.
    expect(existsSync(path.join(killed, ".stagecraft", "work", resumed.fingerprint))).toBe(false);
    // Metrics cover every step, the ones before the kill included.
    expect(resumed.metrics.trim().split("\n").map((l) => (JSON.parse(l) as { step: number }).step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));

    const fresh = project("resume-fresh");
    const ref = await spawnCli(fresh, ARGS).done;
    expect(ref.code, ref.stderr).toBe(0);
    const reference = await result(fresh);
    expect(reference.stdout).not.toMatch(/resumed/);
    expect(reference.fingerprint).toBe(resumed.fingerprint);
    expect(resumed.weights.equals(reference.weights)).toBe(true);
  }, 120_000);
});

/** GRPO checkpoints and resumes the same way: prompts and samples are functions of the seed and the step. */
const GRPO_STEPS = 40;
const GRPO = `${HEADER}stage pre : pretrain {
  model = lm
  data = text
  steps = 40
  batch = 16
  context = 48
  lr = 3e-3
}
reward correct = boxed_answer == answer
stage rl : grpo {
  from = pre
  data = text
  reward = correct
  group = 4
  batch = 4
  max_completion = 16
  context = 48
  steps = ${GRPO_STEPS}
  lr = 1e-3
  kl = 0.01
  checkpoint_every = 10
}
`;

describe("resuming a killed GRPO stage", () => {
  it("SIGKILL after a checkpoint, then run: it resumes and the weights and metrics match an uninterrupted run", async () => {
    assertBuilt();
    const tree = { "p.sc": GRPO, "text.jsonl": textRows(256, 7) };
    const killed = project("grpo-killed", tree);
    const child = spawnCli(killed, ARGS);
    const t0 = Date.now();
    while (checkpoints(killed).length === 0) {
      if (Date.now() - t0 > 90_000) throw new Error(`no checkpoint after 90 s:\n${child.stderr()}`);
      if (child.child.exitCode !== null) throw new Error(`the run ended before its first checkpoint:\n${child.stderr()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.child.kill("SIGKILL");
    expect((await child.done).signal).toBe("SIGKILL");
    const again = await spawnCli(killed, ARGS).done;
    expect(again.code, again.stderr).toBe(0);
    const resumed = await result(killed, "rl");
    const at = Number(/resumed from the checkpoint at step (\d+)/.exec(resumed.stdout)?.[1]);
    expect(at % 10).toBe(0);
    expect(at).toBeGreaterThan(0);

    const fresh = project("grpo-fresh", tree);
    expect((await spawnCli(fresh, ARGS).done).code).toBe(0);
    const reference = await result(fresh, "rl");
    expect(reference.stdout).not.toMatch(/resumed/);
    expect(resumed.weights.equals(reference.weights)).toBe(true);
    // Every step's record, rewards and KL included, is the uninterrupted run's.
    expect(resumed.metrics.trim().split("\n").map((l) => { const { tensors: _t, ...m } = JSON.parse(l) as Record<string, number>; return m; }))
      .toEqual(reference.metrics.trim().split("\n").map((l) => { const { tensors: _t, ...m } = JSON.parse(l) as Record<string, number>; return m; }));
  }, 180_000);
});
