import path from "node:path";
import type { Store } from "../cache/store.js";
import type { Canon } from "../ir/ir.js";
import type { PlannedNode } from "../plan/plan.js";
import { first, type Args } from "./args.js";
import { shownPath } from "../ir/paths.js";
import { errnoWords } from "./fs-errors.js";
import { EXIT, type CliIO } from "./io.js";
import { type Attempt, lastAttempt } from "./last-attempt.js";
import { showStored } from "./log-tail.js";
import { checkDestination, inspectTarget, type Target, type TargetState } from "./replay-targets.js";
import { openSession, planFor, type Session } from "./session.js";
import { keepUnknownContent, keptMessage } from "../../runtime/outputs.js";

/**
 * `stagecraft replay FILE STAGE [--to DIR] [--force]`: brings a stage's outputs back from the cache,
 * verified against their digests, and shows its recorded metrics and logs. Nothing is recomputed.
 * Like `git checkout` and `dvc checkout`, it does not overwrite a file whose content differs from
 * the cached output unless --force says so (it names them); files already identical are left be.
 * A stage whose last attempt failed has no result: replay says so and shows that attempt's logs.
 */
export async function runReplay(a: Args, io: CliIO, color: boolean): Promise<number> {
  const [file, stage] = a.positional;
  if (!file || !stage) {
    io.stderr("usage: stagecraft replay FILE STAGE [--to DIR] [--force]\n");
    return EXIT.usage;
  }
  const to = first(a, "--to");
  const badTo = to !== undefined ? await checkDestination(to) : undefined;
  if (badTo) {
    io.stderr(`stagecraft replay: ${badTo}\n`);
    return EXIT.errors;
  }
  const s = await openSession(file, a, io, color, { command: "replay", needs: "read" });
  if (typeof s === "number") return s;
  if (!s.ir.stages.has(stage)) {
    io.stderr(`stagecraft replay: no stage named '${stage}' (stages: ${[...s.ir.stages.keys()].join(", ")})\n`);
    return EXIT.usage;
  }
  // --force here allows overwriting; to the plan it would mean "run everything", which replay never does.
  const flags = new Set(a.flags);
  flags.delete("--force");
  const values = new Map(a.values);
  values.delete("--force");
  const plan = await planFor(s, { ...a, flags, values });
  const pn = plan.nodes.find((n) => n.name === stage && n.kind === "stage")!;
  const m = await s.store.readManifest(pn.fingerprint, { verify: true, rehash: true });
  if (!m.ok) {
    const attempt = await lastAttempt(s.store, s.file, stage);
    if (attempt?.entry.action === "failed") return failedAttempt(io, s.store, pn, attempt);
    const why = pn.status === "run" ? ` (it would run: ${pn.reasons[0]})` : "";
    io.stderr(`stagecraft replay: '${stage}' is not in the cache for the pipeline as it is now: ${m.detail}${why}\n`);
    return EXIT.errors;
  }
  const targets = m.manifest.outputs.map((o) => ({ ...o, dest: path.resolve(destBase(s, pn, to), o.name) }));
  const restored = await restoreAll(io, s.store, targets, a.flags.has("--force"), first(a, "--to") !== undefined);
  if (restored !== EXIT.ok) return restored;
  io.stdout(`stage ${stage} (${m.manifest.kind}), run ${m.manifest.runId}, finished ${m.manifest.finishedAt}${m.manifest.backend ? `, backend ${m.manifest.backend}` : ""}\n`);
  for (const [label, d] of [["metrics", m.manifest.metrics], ["stdout", m.manifest.logs?.stdout], ["stderr", m.manifest.logs?.stderr]] as const) {
    if (d) await showStored(io, s.store, label, d);
  }
  return EXIT.ok;
}

/** --to DIR; else a command's own output paths; else replay/STAGE. */
function destBase(s: Session, pn: PlannedNode, to: string | undefined): string {
  if (to !== undefined) return to;
  const node = s.ir.nodes.get(pn.id)!;
  const params = node.params as Record<string, Canon>;
  return node.op === "command" ? path.resolve(s.cwd, typeof params["cwd"] === "string" ? params["cwd"] : ".") : path.join("replay", pn.name);
}

/**
 * Looks at every destination before writing any, so a refusal leaves everything as it was; then
 * writes what is missing or (with force) different.
 */
async function restoreAll(io: CliIO, store: Store, targets: readonly Target[], force: boolean, elsewhere: boolean): Promise<number> {
  const states = new Map<Target, TargetState>();
  for (const t of targets) states.set(t, await inspectTarget(t));
  const blocked = targets.flatMap((t) => {
    const st = states.get(t)!;
    return st.kind === "blocked" ? [`cannot restore ${t.name}: ${st.why}`] : [];
  });
  if (blocked.length) {
    for (const b of blocked) io.stderr(`stagecraft replay: ${b}\n`);
    return EXIT.errors;
  }
  const differ = targets.filter((t) => states.get(t)!.kind === "differs");
  if (differ.length && !force) {
    const names = differ.map((t) => `  ${shownPath(t.dest)}\n`).join("");
    io.stderr(`stagecraft replay: ${differ.length === 1 ? "this file differs" : "these files differ"} from the cached output${differ.length === 1 ? "" : "s"} and would be overwritten:\n${names}nothing was restored; --force overwrites ${differ.length === 1 ? "it" : "them"}${elsewhere ? ", or another --to DIR restores into an empty directory" : ", --to DIR restores elsewhere"}\n`);
    return EXIT.errors;
  }
  for (const t of targets) {
    const shown = shownPath(t.dest);
    const about = `(${t.size} bytes, ${t.digest.slice(0, 19)}…)`;
    if (states.get(t)!.kind === "same") {
      io.stdout(`up to date ${shown} ${about}\n`);
      continue;
    }
    let r;
    try {
      // --force replaces a differing file, but content no run made is kept beside it first.
      const kept = states.get(t)!.kind === "differs" ? await keepUnknownContent(store, t.dest) : undefined;
      if (kept) io.stderr(`${keptMessage(shown, shownPath(kept), "before restoring the cached output")}\n`);
      r = await store.restore(t.digest, t.dest);
    } catch (e: unknown) {
      const code = e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
      io.stderr(`stagecraft replay: cannot restore ${t.name} to '${shown}': ${code ? errnoWords(code) : String(e)}\n`);
      return EXIT.errors;
    }
    if (!r.ok) {
      io.stderr(`stagecraft replay: cannot restore ${t.name}: ${r.detail}\n`);
      return EXIT.errors;
    }
    io.stdout(`restored ${shown} ${about}\n`);
  }
  return EXIT.ok;
}

/** A stage whose last attempt failed: says so, with the error, and shows the logs that attempt left. */
async function failedAttempt(io: CliIO, store: Store, pn: PlannedNode, { runId, entry }: Attempt): Promise<number> {
  const error = (entry.error ?? "").split("\n")[0]?.replace(/:\s*$/, "") || "no reason recorded";
  const changed = entry.fingerprint !== pn.fingerprint ? "; the pipeline has changed since" : "";
  io.stderr(`stagecraft replay: '${pn.name}' has no result in the cache: its last attempt failed (run ${runId}: ${error})${changed}\n`);
  const logs = entry.logs;
  if (!logs) io.stdout("--- no logs were kept of that attempt\n");
  for (const k of ["stdout", "stderr"] as const) {
    const d = logs?.[k];
    if (d) await showStored(io, store, k, d);
  }
  return EXIT.errors;
}
