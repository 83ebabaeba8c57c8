import path from "node:path";
import { Store } from "../cache/store.js";
import type { Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { cacheDir } from "./session.js";

/** `stagecraft log`: past runs, newest first, and what each ran or restored. */
export async function runLog(a: Args, io: CliIO): Promise<number> {
  const store = await Store.open(cacheDir(a, io));
  // `log RUN_ID` shows that run (an id prefix is enough); `log` lists every run and details the newest.
  const want = a.positional[0];
  const runs = (await store.listRuns()).filter((r) => want === undefined || r.id.startsWith(want));
  if (a.flags.has("--json")) {
    io.stdout(`${JSON.stringify(runs, null, 2)}\n`);
    return EXIT.ok;
  }
  if (!runs.length) {
    io.stdout("no runs recorded in this cache\n");
    return EXIT.ok;
  }
  for (const r of runs) {
    const count = (k: string) => r.nodes.filter((n) => n.action === k).length;
    const secs = r.finishedAt ? ` in ${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)}s` : "";
    io.stdout(`${r.id}  ${r.status.padEnd(11)} ${path.relative(process.cwd(), r.pipeline) || r.pipeline}: ${count("ran")} ran, ${count("restored")} restored, ${count("failed")} failed${secs}\n`);
    if (a.positional.length || runs.indexOf(r) === 0) {
      for (const n of r.nodes) io.stdout(`    ${n.action.padEnd(8)} ${n.node}${n.seconds !== undefined ? ` (${n.seconds.toFixed(1)}s)` : ""}${n.error ? `: ${n.error.split("\n")[0]}` : ""}\n`);
    }
  }
  return EXIT.ok;
}
