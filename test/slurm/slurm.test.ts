import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, type Cluster, ensureCluster, eventually, jobsOf, project, removeAll, slurmMissing, spawnCli, stopCluster, submittedStages } from "./cluster.js";

/**
 * End to end on a real single-node Slurm 22.05 cluster (scripts/slurm/cluster.sh), through the built
 * CLI, as a user runs it: command stages, data transforms and a small training stage.
 */

const PIPELINE = `pipeline sl {
  seed = 1
  resources = { cpus: 1, time: "10:00" }
}

param q_min = 3
param greeting = "hi"

dataset rows = jsonl("data/rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])
dataset good = rows | where q >= q_min | top(3, by: q)

stage count : command {
  run = ["sh", "scripts/count.sh", "out/count.txt"]
  inputs = [good]
  env = { GREETING: greeting }
  outputs = ["out/count.txt"]
}

stage report : command {
  run = ["sh", "-c", "wc -c < out/count.txt > out/report.txt"]
  inputs = [count]
  outputs = ["out/report.txt"]
  resources = { cpus: 1, mem: "100M" }
}

stage side : command {
  run = ["sh", "-c", "echo side > out/side.txt"]
  outputs = ["out/side.txt"]
}
`;

const FAILING = `pipeline fl { seed = 1 }

stage a : command {
  run = ["sh", "-c", "echo a > a.txt"]
  outputs = ["a.txt"]
}

stage bad : command {
  run = ["sh", "-c", "echo boom >&2; exit 3"]
  after = [a]
}

stage child : command {
  run = ["sh", "-c", "echo c > c.txt"]
  outputs = ["c.txt"]
  after = [bad]
}

stage grandchild : command {
  run = ["sh", "-c", "echo g > g.txt"]
  outputs = ["g.txt"]
  after = [child]
}

stage other : command {
  run = ["sh", "-c", "echo o > o.txt"]
  outputs = ["o.txt"]
}
`;

/** Three stages of a second or so each: long enough to kill the submitter in the middle. */
const CHAIN = `pipeline ch { seed = 1 }

stage s1 : command {
  run = ["sh", "-c", "sleep 1; echo 1 > o1.txt"]
  outputs = ["o1.txt"]
}

stage s2 : command {
  run = ["sh", "-c", "sleep 1; cat o1.txt > o2.txt; echo 2 >> o2.txt"]
  inputs = [s1]
  outputs = ["o2.txt"]
}

stage s3 : command {
  run = ["sh", "-c", "sleep 1; cat o2.txt > o3.txt; echo 3 >> o3.txt"]
  inputs = [s2]
  outputs = ["o3.txt"]
}
`;

/** A tiny pretraining stage (TensorFlow.js, whichever backend is installed) between a transform and a command. */
const TRAIN = `pipeline tr { seed = 3 }

model enc = vision_encoder(image: 8, patch: 4, width: 16, classes: 4)

dataset glyphs = jsonl("glyphs.jsonl") | take(48)

stage pre : pretrain {
  model = enc
  data = glyphs
  objective = "classify"
  steps = 10
  batch = 16
  lr = 3e-3
  resources = { cpus: 1 }
}

stage after_pre : command {
  run = ["sh", "-c", "echo trained > trained.txt"]
  after = [pre]
  outputs = ["trained.txt"]
}
`;

/** 8×8 glyphs of four classes: fixed random templates plus noise. */
function glyphs(n: number): string {
  let s = 7;
  const u = () => (s = (s * 48271) % 2147483647) / 2147483647;
  const tpl = [0, 1, 2, 3].map(() => Array.from({ length: 64 }, () => (u() < 0.5 ? 1 : 0)));
  return Array.from({ length: n }, (_, i) => {
    const label = Math.floor(u() * 4);
    return JSON.stringify({ id: `g${i}`, image: tpl[label]!.map((x) => Math.round((x + (u() - 0.5) * 0.6) * 1000) / 1000), label });
  }).join("\n") + "\n";
}

const rows = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: i + 1, q: ((i + 1) * 7) % 5, topic: "t", text: `x ${i}` })).join("\n") + "\n";
const COUNT = `wc -l < "$STAGECRAFT_INPUT_GOOD" > "$1"\necho "$GREETING" >> "$1"\n`;

const missing = slurmMissing();
if (missing) console.warn(`test/slurm: the cluster tests are skipped: ${missing}`);
const dirs: string[] = [];
let cluster: Cluster;

describe.skipIf(missing !== undefined)(missing ? `slurm (skipped: ${missing})` : "slurm executor on a local cluster", () => {
  beforeAll(() => {
    cluster = ensureCluster();
  });
  afterAll(() => {
    removeAll(dirs);
    stopCluster(cluster);
  });

  const mk = (files: Record<string, string>) => {
    const d = project(files);
    dirs.push(d);
    return d;
  };
  const cache = (dir: string) => path.join(dir, ".stagecraft");
  const read = (dir: string, f: string) => readFileSync(path.join(dir, f), "utf8");

  it("runs commands and transforms as jobs; a second run submits nothing; a change resubmits exactly what it affects", async () => {
    const dir = mk({ "p.sc": PIPELINE, "data/rows.jsonl": rows, "scripts/count.sh": COUNT });
    const first = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(first.code, first.stderr).toBe(0);
    expect(submittedStages(first.stderr)).toEqual(["count", "report", "side"]);
    expect(first.stderr).toMatch(/report: submitted job \d+ \(after \d+\)/);
    // The transforms feeding `count` ran inside its job, and said so.
    expect(first.stderr).toMatch(/✓ good:where/);
    expect(read(dir, "out/count.txt")).toBe("3\nhi\n");
    expect(read(dir, "out/report.txt").trim()).toBe("5");
    expect(jobsOf(cluster, cache(dir)).map((j) => j.state)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"]);
    // Results are the local executor's: a local plan finds everything cached.
    const plan = JSON.parse((await cli(cluster, dir, ["plan", "p.sc", "--json"])).stdout) as { totals: { run: number } };
    expect(plan.totals.run).toBe(0);

    const again = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(again.code, again.stderr).toBe(0);
    expect(submittedStages(again.stderr)).toEqual([]);
    expect(again.stderr).toMatch(/0 of \d+ nodes to run/);
    expect(jobsOf(cluster, cache(dir))).toHaveLength(3);

    // A where threshold: the filter chain and the two stages downstream of it, and nothing else.
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace("param q_min = 3", "param q_min = 5"));
    const where = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(where.code, where.stderr).toBe(0);
    expect(submittedStages(where.stderr)).toEqual(["count", "report"]);
    expect(read(dir, "out/count.txt")).toBe("0\nhi\n");

    // A command's argv: that stage alone.
    writeFileSync(path.join(dir, "p.sc"), PIPELINE.replace("param q_min = 3", "param q_min = 5").replace("echo side", "echo other side"));
    const argv = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(argv.code, argv.stderr).toBe(0);
    expect(submittedStages(argv.stderr)).toEqual(["side"]);
    expect(read(dir, "out/side.txt")).toBe("other side\n");
    expect(jobsOf(cluster, cache(dir))).toHaveLength(6);
  }, 120_000);

  it("a small training stage runs as a job; its model lands in the cache; a changed lr resubmits it and what runs after it", async () => {
    const dir = mk({ "p.sc": TRAIN, "glyphs.jsonl": glyphs(64) });
    const first = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(first.code, first.stderr).toBe(0);
    expect(submittedStages(first.stderr)).toEqual(["after_pre", "pre"]);
    expect(first.stderr).toMatch(/✓ pre [\d.]+s, job \d+/);
    const replay = await cli(cluster, dir, ["replay", "p.sc", "pre", "--to", "model"]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/restored model\/model\.safetensors/);
    expect(existsSync(path.join(dir, "model", "model.safetensors"))).toBe(true);
    const again = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(submittedStages(again.stderr)).toEqual([]);
    writeFileSync(path.join(dir, "p.sc"), TRAIN.replace("lr = 3e-3", "lr = 1e-3"));
    const lr = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(lr.code, lr.stderr).toBe(0);
    // A stage that runs after another may read what it made, so it reruns with it.
    expect(submittedStages(lr.stderr)).toEqual(["after_pre", "pre"]);
  }, 120_000);

  it("a failing job: Slurm cancels its dependants, the error names the pipeline line and the job's log", async () => {
    const dir = mk({ "p.sc": FAILING });
    const r = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm", "--keep-going"]);
    expect(r.code).toBe(1);
    const failed = /✗ bad failed \(p\.sc:8\): command exited with code 3:\s*boom \(Slurm job (\d+); log (\S+)\)/.exec(r.stderr);
    expect(failed, r.stderr).not.toBeNull();
    const log = failed![2]!;
    expect(log).toBe(path.join(cache(dir), "slurm", "logs", `${/sc-fl-bad-[0-9a-f]{12}/.exec(log)![0]}.${failed![1]}.log`));
    expect(readFileSync(log, "utf8")).toContain("boom");
    expect(r.stderr).toMatch(/- child not run: upstream bad did not finish/);
    expect(r.stderr).toMatch(/- grandchild not run: upstream bad did not finish/);
    expect(read(dir, "o.txt")).toBe("o\n");
    expect(existsSync(path.join(dir, "c.txt"))).toBe(false);
    // Cancelled by Slurm itself (--kill-on-invalid-dep), the grandchild through the child.
    const state = (name: string) => jobsOf(cluster, cache(dir)).find((j) => j.name.startsWith(`sc-fl-${name}-`));
    await eventually(() => state("grandchild")?.state === "CANCELLED", 15_000, "the grandchild to be cancelled");
    for (const n of ["child", "grandchild"]) expect(state(n)).toMatchObject({ state: "CANCELLED", reason: "DependencyNeverSatisfied" });
    const status = await cli(cluster, dir, ["status", "p.sc"]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/✗ failed +bad +job \d+ +command exited with code 3/);
    expect(status.stdout).toMatch(/- cancelled +child +job \d+ +an upstream job failed/);
    expect(status.stdout).toMatch(/✓ cached +other/);
  }, 120_000);

  it("a killed submitter: the next run follows the queued jobs, submits no duplicates, and finishes", async () => {
    const dir = mk({ "p.sc": CHAIN });
    const sub = spawnCli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    await sub.waitFor(/s3: submitted job/);
    process.kill(sub.pid, "SIGKILL");
    await sub.done;
    expect(jobsOf(cluster, cache(dir))).toHaveLength(3);
    const status = await cli(cluster, dir, ["status", "p.sc"]);
    expect(status.stdout).toMatch(/(queued|running) +s1 +job \d+/);
    const again = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(again.code, again.stderr).toBe(0);
    expect(submittedStages(again.stderr)).toEqual([]);
    expect(again.stderr).toMatch(/s3: following job \d+ \(pending\), submitted by an earlier run/);
    expect(read(dir, "o3.txt")).toBe("1\n2\n3\n");
    expect(jobsOf(cluster, cache(dir)).map((j) => j.state)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"]);
  }, 120_000);

  it("--detach submits and returns; status reattaches; --cancel-on-interrupt cancels on Ctrl-C", async () => {
    const dir = mk({ "p.sc": CHAIN });
    const t0 = Date.now();
    const det = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm", "--detach"]);
    expect(det.code, det.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(det.stderr).toMatch(/3 jobs submitted; `stagecraft status p\.sc` shows their progress/);
    const st = await cli(cluster, dir, ["status", "p.sc", "--json"]);
    const nodes = (JSON.parse(st.stdout) as { nodes: { name: string; state: string; jobId?: string }[] }).nodes;
    expect(nodes.map((n) => n.name)).toEqual(["s1", "s2", "s3"]);
    for (const n of nodes) expect(["queued", "running", "done"]).toContain(n.state);
    // Reattach: follows the detached jobs to the end, submitting nothing.
    const follow = await cli(cluster, dir, ["run", "p.sc", "--executor", "slurm"]);
    expect(follow.code, follow.stderr).toBe(0);
    expect(submittedStages(follow.stderr)).toEqual([]);
    expect(read(dir, "o3.txt")).toBe("1\n2\n3\n");

    const dir2 = mk({ "p.sc": CHAIN });
    const sub = spawnCli(cluster, dir2, ["run", "p.sc", "--executor", "slurm", "--cancel-on-interrupt"]);
    await sub.waitFor(/s3: submitted job/);
    process.kill(sub.pid, "SIGINT");
    const r = await sub.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/cancelled jobs \d+, \d+, \d+/);
    await eventually(() => jobsOf(cluster, cache(dir2)).every((j) => j.state === "CANCELLED"), 15_000, "the jobs to be cancelled");
  }, 120_000);
});
