import { hostname } from "node:os";
import path from "node:path";
import { readLockHolder, STALE_LOCK_MS } from "../cache/lock.js";
import { pidAlive } from "../cache/lock-file.js";
import { INTERRUPTED_ERROR, type RunNode } from "../cache/manifest.js";
import type { Store } from "../cache/store.js";
import type { Args } from "./args.js";
import { shownPath } from "../ir/paths.js";
import { EXIT, type CliIO } from "./io.js";
import { openStore } from "./session.js";

/** `stagecraft log`: past runs, newest first, and what each ran or restored. */
export async function runLog(a: Args, io: CliIO): Promise<number> {
  const store = await openStore("log", a, io, "read");
  if (typeof store === "number") return store;
  // `log RUN_ID` shows that run (an id prefix is enough); `log` lists every run and details the newest.
  const want = a.positional[0];
  const runs = (await store.listRuns()).filter((r) => want === undefined || r.id.startsWith(want));
  const live = await liveRun(store);
  // A record still saying "running" whose run no longer holds the cache's lock was cut short
  // (killed, or a second Ctrl-C) before it could say so: text and JSON both say "unfinished".
  const statusOf = (r: (typeof runs)[number]) => (r.status === "running" && r.id !== live ? "unfinished" : r.status);
  if (a.flags.has("--json")) {
    io.stdout(`${JSON.stringify(runs.map((r) => ({ ...r, status: statusOf(r) })), null, 2)}\n`);
    return EXIT.ok;
  }
  if (!runs.length) {
    io.stdout("no runs recorded in this cache\n");
    return EXIT.ok;
  }
  for (const r of runs) {
    const cut = r.nodes.filter((n) => n.action === "failed" && n.error === INTERRUPTED_ERROR).length;
    const count = (k: string) => r.nodes.filter((n) => n.action === k).length - (k === "failed" ? cut : 0);
    const secs = r.finishedAt ? ` in ${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)}s` : "";
    const status = statusOf(r);
    io.stdout(`${r.id}  ${status.padEnd(11)} ${path.relative(process.cwd(), r.pipeline) || r.pipeline}: ${count("ran")} ran, ${count("restored")} restored, ${count("failed")} failed${cut ? `, ${cut} interrupted` : ""}${secs}\n`);
    if (a.positional.length || runs.indexOf(r) === 0) {
      for (const n of r.nodes) io.stdout(await nodeLines(n, store));
    }
  }
  return EXIT.ok;
}

const INDENT = " ".repeat(13);

/**
 * A node of a detailed run: its action, and for a failure the error's first line, the tail of its
 * stderr the error carries, and where its full logs are kept.
 */
async function nodeLines(n: RunNode, store: Store): Promise<string> {
  const [head = "", ...tail] = (n.error ?? "").split("\n");
  // "command exited with code 3:" introduces the tail below it; alone on the line it ends in nothing.
  const error = n.error !== undefined ? `: ${head.replace(/:\s*$/, "")}` : "";
  const lines = [`    ${n.action.padEnd(8)} ${n.node}${n.seconds !== undefined ? ` (${n.seconds.toFixed(1)}s)` : ""}${error}`];
  for (const t of tail) lines.push(`${INDENT}| ${t}`);
  const logs = n.logs;
  for (const k of ["stdout", "stderr"] as const) {
    const d = logs?.[k];
    if (d) lines.push(`${INDENT}${k}: ${(await store.has(d)) ? shownPath(store.objectPath(d)) : "removed by `stagecraft cache gc`"}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The id of the run holding the cache's lock, when its holder is alive (its heartbeat is recent). */
async function liveRun(store: Store): Promise<string | undefined> {
  const holder = await readLockHolder(store.root);
  if (!holder || Date.now() - Date.parse(holder.heartbeatAt) > STALE_LOCK_MS) return undefined;
  // On this machine, a dead holder is gone at once, whatever its last heartbeat.
  if (holder.host === hostname() && !pidAlive(holder.pid)) return undefined;
  // Run ids are `<time>-<pid>-<random>`, and the lock names the pid that holds it.
  return (await store.listRuns()).find((r) => r.status === "running" && r.id.split("-")[1] === String(holder.pid))?.id;
}
