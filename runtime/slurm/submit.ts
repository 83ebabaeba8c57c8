import { mkdir } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../src/cache/files.js";
import type { Store } from "../../src/cache/store.js";
import { clearRecord, logPattern, slurmDir } from "./records.js";
import { sbatchArgs } from "./resources.js";
import type { QueuedJob, Slurm, Submitted } from "./slurm.js";
import type { Unit } from "./units.js";

/** How a job body is started: the same stagecraft, on the same pipeline file, against the same cache. */
export interface JobCommand {
  /** The program and script to run, e.g. [node, /abs/bin/stagecraft.js]. */
  readonly entry: readonly string[];
  /**
   * The pipeline file as the user named it; jobs start in `dir`, so they lower it exactly as the
   * submitter did (data node ids hash paths as written). Compute nodes share the filesystem.
   */
  readonly file: string;
  /** The directory jobs start in (`--chdir`). */
  readonly dir: string;
  /** A backend given on the command line, passed on so jobs fingerprint exactly as the plan did. */
  readonly backend: string | undefined;
}

/** The comment that marks a job as this cache's: a job of another cache directory is never adopted. */
export function jobComment(store: Store): string {
  return `stagecraft:${store.root}`;
}

/** The newest job Slurm knows for this unit in this cache, finished ones included. */
export function priorJob(queue: readonly QueuedJob[], unit: Unit, store: Store): QueuedJob | undefined {
  const mine = queue.filter((j) => j.name === unit.jobName && j.comment === jobComment(store));
  return mine.sort((a, b) => Number.parseInt(b.id, 10) - Number.parseInt(a.id, 10))[0];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes the job script under `<cache>/slurm/scripts/` (kept, for reading and resubmitting by hand) and submits it. */
export async function submitUnit(slurm: Slurm, store: Store, cmd: JobCommand, unit: Unit, parents: readonly string[]): Promise<Submitted> {
  const dir = path.join(slurmDir(store), "scripts");
  await mkdir(dir, { recursive: true });
  await mkdir(path.join(slurmDir(store), "logs"), { recursive: true });
  const argv = [
    ...cmd.entry, "job", cmd.file, unit.arg, "--cache-dir", store.root, "--fingerprint", unit.node.fingerprint,
    ...(cmd.backend ? ["--backend", cmd.backend] : []),
    ...(unit.forced && unit.node.kind === "stage" ? [`--force=${unit.node.name}`] : []),
  ];
  const text = [
    "#!/bin/sh",
    `# stagecraft ${unit.node.kind} '${unit.node.name.replace(/\n/g, " ")}' of ${cmd.file}`,
    ...(unit.inner.length ? [`# with the transforms feeding it: ${unit.inner.join("; ").replace(/\n/g, " ")}`] : []),
    `exec ${argv.map(quote).join(" ")}`,
    "",
  ].join("\n");
  const script = path.join(dir, `${unit.jobName}.sh`);
  await writeFileAtomic(store.tmpDir, script, text, { durable: false, mode: 0o755 });
  // A record left by an earlier attempt must not be read as this one's.
  await clearRecord(store, unit.node.fingerprint);
  return slurm.submit([
    `--job-name=${unit.jobName}`,
    `--output=${logPattern(store, unit.jobName)}`,
    `--chdir=${cmd.dir}`,
    `--comment=${jobComment(store)}`,
    "--kill-on-invalid-dep=yes",
    ...(parents.length ? [`--dependency=afterok:${parents.join(":")}`] : []),
    ...sbatchArgs(unit.resources),
  ], script);
}
