import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/cache/store.js";
import { prng } from "../helpers/prng.js";
import { assertBuilt, cleanup, rowsJsonl, sc, snapshot, spawnCli, tempDir, writeTree } from "./helpers.js";

/**
 * Crash safety: `stagecraft run` is SIGKILLed at 30 seeded random moments spread over a run. After
 * each kill the cache verifies clean, and a later run finishes with outputs byte-identical to an
 * uninterrupted run's, and with every cached result identical to the uninterrupted run's.
 */

const STAGES = 8;
const PIPELINE = `pipeline crash {
  seed = 9
}

dataset rows = jsonl("data/rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])
dataset good = rows | where q >= 2 | dedupe(by: text)
dataset best = good | top(4, by: q)
dataset rest = rows minus good
dataset mixed = best union rest | normalize(q)

stage s1 : command { run = ["sh", "scripts/step.sh", "s1", "out/s1.txt"]  inputs = [best]  outputs = ["out/s1.txt"] }
stage s2 : command { run = ["sh", "scripts/step.sh", "s2", "out/s2.txt"]  inputs = [rest]  outputs = ["out/s2.txt"] }
stage s3 : command { run = ["sh", "scripts/step.sh", "s3", "out/s3.txt", "out/s1.txt"]  outputs = ["out/s3.txt"] }
stage s4 : command { run = ["sh", "scripts/step.sh", "s4", "out/s4.txt", "out/s1.txt", "out/s2.txt"]  outputs = ["out/s4.txt"] }
stage s5 : command { run = ["sh", "scripts/step.sh", "s5", "out/s5.txt"]  inputs = [mixed]  outputs = ["out/s5.txt"] }
stage s6 : command { run = ["sh", "scripts/step.sh", "s6", "out/s6.txt", "out/s3.txt", "out/s5.txt"]  outputs = ["out/s6.txt"] }
stage s7 : command { run = ["sh", "scripts/step.sh", "s7", "out/s7.txt", "out/s4.txt"]  outputs = ["out/s7.txt"] }
stage s8 : command { run = ["sh", "scripts/step.sh", "s8", "out/s8.txt", "out/s6.txt", "out/s7.txt"]  outputs = ["out/s8.txt"] }
`;

// Writes its output in two parts with a pause between, so a kill can leave half a file behind.
const STEP = `name=$1; out=$2; shift 2
sleep 0.02
echo "$name" > "$out"
sleep 0.02
for f in "$@"; do cat "$f"; done >> "$out"
for v in $(env | grep '^STAGECRAFT_INPUT_' | cut -d= -f1 | sort); do eval "cat \\"\\$$v\\""; done >> "$out"
echo "$name done"
`;

const OUTPUTS = Array.from({ length: STAGES }, (_, i) => `out/s${i + 1}.txt`);
const MARK = "STAGECRAFT_CRASH_TEST";
const dirs: string[] = [];
/** The uninterrupted run: its outputs and results, how long it took, and how long until it began work. */
let reference: { dir: string; outputs: Record<string, string>; results: Map<string, string>; ms: number; startMs: number };

function project(): string {
  const dir = tempDir("crash");
  dirs.push(dir);
  writeTree(dir, { "p.sc": PIPELINE, "data/rows.jsonl": rowsJsonl(), "scripts/step.sh": STEP });
  return dir;
}

/** Fingerprint → its outputs' digests, for every result in a project's cache. */
async function results(dir: string): Promise<Map<string, string>> {
  const store = await Store.open(path.join(dir, ".stagecraft"));
  const out = new Map<string, string>();
  for (const fp of await store.listManifests()) {
    const m = await store.readManifest(fp);
    if (!m.ok) throw new Error(`${fp}: ${m.detail}`);
    out.set(fp, `${m.manifest.node}: ${m.manifest.outputs.map((o) => `${o.name}=${o.digest}`).join(" ")}`);
  }
  return out;
}

/**
 * Processes a killed run left behind: SIGKILL takes only stagecraft, and the stage commands it
 * started (each in its own process group) would go on writing. A machine crash takes them too, so
 * they are killed here, found by a variable every process of one test run inherits.
 */
async function killLeftovers(tag: string): Promise<void> {
  if (!existsSync("/proc/self/environ")) return void (await sleep(300));
  for (let round = 0; round < 50; round++) {
    const left: number[] = [];
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(`${MARK}=${tag}`)) left.push(Number(name));
      } catch {
        // Gone meanwhile, or not ours to read.
      }
    }
    if (!left.length) return;
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await sleep(20);
  }
  throw new Error("processes of a killed run would not die");
}

function outputsOf(dir: string): Record<string, string> {
  return Object.fromEntries(OUTPUTS.map((o) => [o, readFileSync(path.join(dir, o), "utf8")]));
}

beforeAll(async () => {
  assertBuilt();
  const dir = project();
  const t0 = Date.now();
  const child = spawnCli(dir, ["run", "p.sc"], { env: { [MARK]: "reference" } });
  await child.waitFor(/^run \S+: \d+ of \d+ nodes to run$/m);
  const startMs = Date.now() - t0;
  const r = await child.done;
  const ms = Date.now() - t0;
  expect(r.code, r.stderr).toBe(0);
  reference = { dir, outputs: outputsOf(dir), results: await results(dir), ms, startMs };
  // 8 stages and 6 transforms (good:where, good, best, rest, mixed:union, mixed); sources run in place.
  expect(reference.results.size).toBe(STAGES + 6);
});
afterAll(() => cleanup(...dirs));

describe("crash safety", () => {
  it("30 SIGKILLs at seeded random moments never leave the cache inconsistent or the outputs wrong", async () => {
    const random = prng(20261129);
    const KILLS = 30;
    const landed: string[] = [];
    let kills = 0;
    let midway = 0;
    for (let it = 0; kills < KILLS; it++) {
      expect(it, "too many runs finished before their kill arrived").toBeLessThan(40);
      const dir = project();
      // Half the projects run two nodes at a time, so kills also land between parallel commands.
      const args = ["run", "p.sc", ...(it % 2 ? ["--jobs", "2"] : [])];
      // Up to three kills per project, each run resuming the last, unless one gets to finish first.
      for (let k = 0; k < 3 && kills < KILLS; k++) {
        const tag = `${it}-${k}`;
        // Spread over what is left of the run: start-up, then the nodes not yet in the cache.
        const left = 1 - (await results(dir)).size / reference.results.size;
        const delay = Math.floor(random() * (reference.startMs + (reference.ms - reference.startMs) * left) * 1.05);
        const child = spawnCli(dir, args, { group: true, env: { [MARK]: tag } });
        await sleep(delay);
        try {
          process.kill(-child.child.pid!, "SIGKILL");
        } catch {
          // It had already finished.
        }
        const r = await child.done;
        await killLeftovers(tag);
        const done = (await results(dir)).size;
        landed.push(`${tag} at ${delay} ms: ${r.signal ?? `exit ${r.code}`}, ${done} results in the cache`);
        const verify = await sc(dir, ["cache", "verify"]);
        expect(verify.code, `after ${landed.at(-1)}:\n${verify.stdout}`).toBe(0);
        if (r.signal !== "SIGKILL") break; // finished first: not a kill
        kills++;
        if (done > 0 && done < reference.results.size) midway++;
      }
      const final = await spawnCli(dir, args, { env: { [MARK]: `${it}-final` } }).done;
      expect(final.code, final.stderr).toBe(0);
      expect(outputsOf(dir), `project ${it}`).toEqual(reference.outputs);
      // Nothing but the outputs in out/: no half-written or scratch file left beside them.
      expect(Object.keys(snapshot(path.join(dir, "out"))).sort(), `project ${it}`).toEqual(OUTPUTS.map((o) => path.basename(o)).sort());
      // Every result the killed runs committed is the uninterrupted run's result.
      const got = await results(dir);
      for (const [fp, desc] of got) expect(desc, `result ${fp}`).toBe(reference.results.get(fp));
      expect(got.size).toBe(reference.results.size);
      expect((await sc(dir, ["cache", "verify"])).code).toBe(0);
    }
    if (process.env["CRASH_DEBUG"]) console.log(`start-up ${reference.startMs} ms of ${reference.ms} ms\n${landed.join("\n")}`);
    expect(kills).toBe(KILLS);
    // The kills must land across the run, not all in start-up or all after the work was done.
    expect(midway, landed.join("\n")).toBeGreaterThanOrEqual(10);
  }, 150_000);
});
