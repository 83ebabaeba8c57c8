import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { effectiveResources, sbatchArgs, describeResources } from "../../runtime/slurm/resources.js";
import { isActive, parseQueue, parseShowJob } from "../../runtime/slurm/slurm.js";
import { jobUnits } from "../../runtime/slurm/units.js";
import { StatCache } from "../../src/cache/stat-cache.js";
import { Store } from "../../src/cache/store.js";
import { checkFile } from "../../src/check/check.js";
import { fsHost } from "../../src/cli/fs-host.js";
import { lower } from "../../src/ir/lower.js";
import { makePlan } from "../../src/plan/plan.js";
import { storePlanEnv } from "../../src/plan/store-env.js";
import { runCli } from "../helpers/cli.js";
import { project, removeAll } from "./cluster.js";

/** What needs no cluster: parsing Slurm's output, resources, grouping a plan into jobs, the plan's `where`. */

const PIPELINE = `pipeline units {
  seed = 1
  resources = { partition: "gpu", gpus: 8, time: "24:00:00", sbatch: ["--exclusive"] }
}

dataset rows = jsonl("rows.jsonl", rows: 3, fields: ["id", "q"])
dataset good = rows | where q >= 1

stage prep : command {
  run = ["sh", "-c", "cat $STAGECRAFT_INPUT_GOOD > prep.jsonl"]
  inputs = [good]
  outputs = ["prep.jsonl"]
  resources = { gpus: 0, cpus: 4, mem: "16G" }
}

dataset prepped = jsonl("prep.jsonl", rows: 3, fields: ["id", "q"])

stage train : command {
  run = ["sh", "-c", "echo trained > model.txt"]
  after = [prep]
  outputs = ["model.txt"]
}
`;

const dirs: string[] = [];
afterAll(() => removeAll(dirs));

async function planned(executor: "local" | "slurm") {
  const dir = project({ "p.sc": PIPELINE, "rows.jsonl": '{"id":1,"q":1}\n{"id":2,"q":0}\n{"id":3,"q":2}\n' });
  dirs.push(dir);
  const file = path.join(dir, "p.sc");
  const checked = checkFile(file, fsHost);
  const ir = lower(checked.program!, (f) => checked.sources.get(f) ?? "");
  const store = await Store.open(path.join(dir, ".stagecraft"));
  const plan = await makePlan(ir, storePlanEnv(store, await StatCache.load(store.root), executor), { backend: "cpu" });
  return { dir, file, ir, plan };
}

describe("slurm output parsing", () => {
  it("reads squeue lines, keeping a comment that contains the separator", () => {
    const q = parseQueue("12|sc-p-a-0123456789ab|COMPLETED|None|stagecraft:/tmp/a|b\n13|x|PENDING|Dependency|(null)\n\n");
    expect(q).toEqual([
      { id: "12", name: "sc-p-a-0123456789ab", state: "COMPLETED", reason: "None", comment: "stagecraft:/tmp/a|b" },
      { id: "13", name: "x", state: "PENDING", reason: "Dependency", comment: "" },
    ]);
    expect(isActive("PENDING")).toBe(true);
    expect(isActive("CANCELLED")).toBe(false);
  });

  it("reads the exit code and reason from scontrol, as sacct is off without slurmdbd", () => {
    const d = parseShowJob("JobId=4 JobName=bad UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:00");
    expect(d).toEqual({ state: "FAILED", reason: "NonZeroExitCode", exitCode: 3, signal: 0 });
    expect(parseShowJob("slurm_load_jobs error: Invalid job id specified")).toBeUndefined();
  });
});

describe("resources", () => {
  it("a stage's own resources override the pipeline's, key by key", () => {
    const pipeline = { partition: "gpu", gpus: 8, time: "24:00:00", sbatch: ["--exclusive"] };
    const r = effectiveResources(pipeline, { gpus: 0, cpus: 4, mem: "16G" }, "stage");
    expect(sbatchArgs(r)).toEqual(["--partition=gpu", "--cpus-per-task=4", "--mem=16G", "--time=24:00:00", "--exclusive"]);
    expect(sbatchArgs(effectiveResources(pipeline, null, "stage"))).toEqual(["--partition=gpu", "--gres=gpu:8", "--time=24:00:00", "--exclusive"]);
    expect(describeResources(effectiveResources(pipeline, null, "stage"))).toBe("partition gpu, 8 GPUs, time 24:00:00, --exclusive");
    // A transform's own job streams rows: no GPUs.
    expect(effectiveResources(pipeline, null, "data").gpus).toBeUndefined();
  });
});

describe("jobs from a plan", () => {
  it("one job per stage; transforms run inside the job of the stage that reads them; after gives afterok", async () => {
    const { plan, ir } = await planned("slurm");
    const units = jobUnits(plan, ir);
    expect(units.map((u) => [u.arg, u.deps.map((d) => ir.nodes.get(d)!.name), u.inner])).toEqual([
      ["prep", [], ["good"]],
      ["train", ["prep"], []],
    ]);
    expect(units[0]!.jobName).toMatch(/^sc-units-prep-[0-9a-f]{12}$/);
    expect(sbatchArgs(units[0]!.resources)).toEqual(["--partition=gpu", "--cpus-per-task=4", "--mem=16G", "--time=24:00:00", "--exclusive"]);
    expect(sbatchArgs(units[1]!.resources)).toContain("--gres=gpu:8");
  });

  it("plan --executor slurm --json says where each node would run", async () => {
    const { dir, file } = await planned("slurm");
    const r = await runCli(["plan", file, "--executor", "slurm", "--json", "--cache-dir", path.join(dir, ".stagecraft")]);
    const nodes = (JSON.parse(r.stdout) as { nodes: { name: string; kind: string; where: string; resources?: unknown }[] }).nodes;
    const byName = Object.fromEntries(nodes.map((n) => [n.name, n]));
    expect(byName["prep"]).toMatchObject({ where: "slurm", resources: { gpus: 0, cpus: 4, mem: "16G" } });
    expect(byName["train"]).toMatchObject({ where: "slurm" });
    const local = await runCli(["plan", file, "--json", "--cache-dir", path.join(dir, ".stagecraft")]);
    expect((JSON.parse(local.stdout) as { nodes: { name: string; where: string }[] }).nodes.find((n) => n.name === "prep")!.where).toBe("local");
  });
});
