import { acquireLock, describeTakeover } from "../cache/lock.js";
import { execute } from "../../runtime/executor.js";
import type { RunEvent } from "../../runtime/events.js";
import { renderPlan } from "../plan/render.js";
import { first, type Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { openSession, planFor, unknownStages } from "./session.js";

/** Plain lines for a log or CI; JSON lines for tools. */
function renderEvent(e: RunEvent, color: boolean): string | undefined {
  const c = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  switch (e.type) {
    case "start":
      return `run ${e.runId}: ${e.toRun} of ${e.nodes} nodes to run`;
    case "node-start":
      return `${c("33", "▶")} ${e.node} (${e.op})`;
    case "node-done":
      return `${c("32", "✓")} ${e.node} ${c("2", `${e.seconds.toFixed(1)}s`)}`;
    case "node-failed":
      return `${c("31", "✗")} ${e.node} failed${e.where ? ` (${e.where})` : ""}: ${e.error}`;
    case "node-skipped":
      return `${c("2", "-")} ${e.node} not run: ${e.reason}`;
    case "warning":
      return `${c("33", "!")} ${e.node}: ${e.message}`;
    case "log":
      return undefined;
    case "finish":
      return `${e.status === "ok" ? c("32", "done") : c("31", e.status)}: ${e.ran} ran, ${e.restored} restored, ${e.failed} failed in ${e.seconds.toFixed(1)}s`;
  }
}

/** `stagecraft run FILE`: executes the plan under the cache's run lock. */
export async function runRun(a: Args, io: CliIO, color: boolean): Promise<number> {
  const file = a.positional[0];
  if (!file) {
    io.stderr("stagecraft run: no pipeline file given\n");
    return EXIT.usage;
  }
  const jobs = Number(first(a, "--jobs") ?? 1);
  if (!Number.isInteger(jobs) || jobs < 1) {
    io.stderr("stagecraft run: --jobs takes a whole number of at least 1\n");
    return EXIT.usage;
  }
  const s = await openSession(file, a, io, color);
  if (typeof s === "number") return s;
  const unknown = unknownStages(s, a);
  if (unknown.length) {
    io.stderr(`stagecraft run: no stage named ${unknown.map((u) => `'${u}'`).join(", ")}\n`);
    return EXIT.usage;
  }
  const signal = io.signal ?? new AbortController().signal;
  const json = a.flags.has("--json");
  const say = (line: string) => (json ? undefined : io.stderr(`${line}\n`));
  const lock = await acquireLock(s.store.root, {
    signal,
    onWait: (h) => say(`waiting for the run of pid ${h?.pid ?? "?"} to finish (${s.store.root}/lock.json)`),
    onTakeover: (t) => say(describeTakeover(t)),
  });
  if (!lock.ok) {
    io.stderr("stagecraft run: interrupted while waiting for the cache lock\n");
    return 130;
  }
  try {
    // Planned under the lock, so a run that finished while we waited is seen as cached.
    const plan = await planFor(s, a);
    if (plan.totals.blocked > 0) {
      io.stderr(renderPlan(plan, { color }));
      io.stderr("stagecraft run: some nodes are blocked; nothing was run\n");
      return EXIT.errors;
    }
    const result = await execute(plan, s.ir, s.store, {
      jobs,
      keepGoing: a.flags.has("--keep-going"),
      signal,
      cwd: s.cwd,
      backend: s.backend,
      emit: (e) => {
        if (json) io.stdout(`${JSON.stringify(e)}\n`);
        else {
          const line = renderEvent(e, color);
          if (line !== undefined) io.stderr(`${line}\n`);
        }
      },
    }, (f) => s.sources.get(f));
    await s.stats.save();
    return result.status === "ok" ? EXIT.ok : result.status === "interrupted" ? 130 : EXIT.errors;
  } finally {
    await lock.value.release();
  }
}
