import { execFile } from "node:child_process";

/** One line of `squeue --states=all`: finished jobs stay listed for the cluster's MinJobAge. */
export interface QueuedJob {
  readonly id: string;
  readonly name: string;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ... */
  readonly state: string;
  /** Why it waits or ended: Dependency, DependencyNeverSatisfied, NonZeroExitCode, ... */
  readonly reason: string;
  readonly comment: string;
}

/** What `scontrol show job` adds: the exit status (accounting, and so sacct, may be off). */
export interface JobDetail {
  readonly state: string;
  readonly reason: string;
  readonly exitCode: number | undefined;
  readonly signal: number | undefined;
}

export type Submitted = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly error: string };

/** The few Slurm commands the executor needs, behind an interface so tests could stand in for them. */
export interface Slurm {
  submit(args: readonly string[], script: string): Promise<Submitted>;
  /** Every job of this user that Slurm still knows, finished ones included. */
  queue(): Promise<QueuedJob[]>;
  show(id: string): Promise<JobDetail | undefined>;
  cancel(ids: readonly string[]): Promise<void>;
}

const ACTIVE = new Set([
  "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
  "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "STOPPED", "SPECIAL_EXIT",
]);

/** Whether a job may still run (or is running). */
export function isActive(state: string): boolean {
  return ACTIVE.has(state);
}

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err?.code === "ENOENT") return resolve({ code: 127, stdout: "", stderr: `${cmd} is not on PATH (install the Slurm client: slurm-client)` });
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && !stdout ? err.message : "")) });
    });
  });
}

/** Parses `scontrol -o show job` output: `Key=Value` words on one line. */
export function parseShowJob(text: string): JobDetail | undefined {
  const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(text)?.[1];
  const state = field("JobState");
  if (!state) return undefined;
  const exit = /^(\d+):(\d+)$/.exec(field("ExitCode") ?? "");
  return { state, reason: field("Reason") ?? "None", exitCode: exit ? Number(exit[1]) : undefined, signal: exit ? Number(exit[2]) : undefined };
}

const SEP = "|";

/** `squeue --format` lines: the comment comes last, so a `|` inside it survives. */
export function parseQueue(text: string): QueuedJob[] {
  const out: QueuedJob[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(SEP);
    if (parts.length < 5 || !parts[0]) continue;
    const [id, name, state, reason, ...comment] = parts as [string, string, string, string, ...string[]];
    const c = comment.join(SEP);
    out.push({ id, name, state: state.replace(/\+$/, ""), reason, comment: c === "(null)" ? "" : c });
  }
  return out;
}

/** The real cluster, through its command-line clients (SLURM_CONF and PATH from `env`). */
export function slurmCli(env: NodeJS.ProcessEnv): Slurm {
  return {
    async submit(args, script) {
      const r = await run("sbatch", ["--parsable", ...args, script], env);
      const id = r.stdout.trim().split(";")[0] ?? "";
      if (r.code !== 0 || !/^\d+/.test(id)) return { ok: false, error: (r.stderr || r.stdout).trim() || `sbatch exited with ${r.code}` };
      return { ok: true, id };
    },
    async queue() {
      const r = await run("squeue", ["--me", "--states=all", "--noheader", `--format=%i${SEP}%j${SEP}%T${SEP}%r${SEP}%k`], env);
      if (r.code !== 0) throw new Error(`squeue failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      return parseQueue(r.stdout);
    },
    async show(id) {
      const r = await run("scontrol", ["-o", "show", "job", id], env);
      return r.code === 0 ? parseShowJob(r.stdout) : undefined;
    },
    async cancel(ids) {
      if (ids.length) await run("scancel", [...ids], env);
    },
  };
}
