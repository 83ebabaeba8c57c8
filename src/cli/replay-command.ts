import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Canon } from "../ir/ir.js";
import { first, type Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { openSession, planFor } from "./session.js";

/**
 * `stagecraft replay FILE STAGE [--to DIR]`: brings a stage's outputs back from the cache, verified
 * against their digests, and shows its recorded metrics and logs. Nothing is recomputed.
 */
export async function runReplay(a: Args, io: CliIO, color: boolean): Promise<number> {
  const [file, stage] = a.positional;
  if (!file || !stage) {
    io.stderr("usage: stagecraft replay FILE STAGE [--to DIR]\n");
    return EXIT.usage;
  }
  const s = await openSession(file, a, io, color);
  if (typeof s === "number") return s;
  if (!s.ir.stages.has(stage)) {
    io.stderr(`stagecraft replay: no stage named '${stage}' (stages: ${[...s.ir.stages.keys()].join(", ")})\n`);
    return EXIT.usage;
  }
  const plan = await planFor(s, a);
  const pn = plan.nodes.find((n) => n.name === stage && n.kind === "stage")!;
  const m = await s.store.readManifest(pn.fingerprint, { verify: true, rehash: true });
  if (!m.ok) {
    const why = pn.status === "run" ? ` (it would run: ${pn.reasons[0]})` : "";
    io.stderr(`stagecraft replay: '${stage}' is not in the cache for the pipeline as it is now: ${m.detail}${why}\n`);
    return EXIT.errors;
  }
  const to = first(a, "--to");
  const node = s.ir.nodes.get(pn.id)!;
  const params = node.params as Record<string, Canon>;
  const base = to ?? (node.op === "command" ? path.resolve(s.cwd, typeof params["cwd"] === "string" ? params["cwd"] : ".") : path.join("replay", stage));
  for (const o of m.manifest.outputs) {
    const dest = path.resolve(base, o.name);
    await mkdir(path.dirname(dest), { recursive: true });
    const r = await s.store.restore(o.digest, dest);
    if (!r.ok) {
      io.stderr(`stagecraft replay: cannot restore ${o.name}: ${r.detail}\n`);
      return EXIT.errors;
    }
    io.stdout(`restored ${path.relative(process.cwd(), dest) || dest} (${o.size} bytes, ${o.digest.slice(0, 19)}…)\n`);
  }
  io.stdout(`stage ${stage} (${m.manifest.kind}), run ${m.manifest.runId}, finished ${m.manifest.finishedAt}${m.manifest.backend ? `, backend ${m.manifest.backend}` : ""}\n`);
  for (const [label, d] of [["metrics", m.manifest.metrics], ["stdout", m.manifest.logs?.stdout], ["stderr", m.manifest.logs?.stderr]] as const) {
    if (!d) continue;
    const text = await readFile(s.store.objectPath(d), "utf8");
    const lines = text.trimEnd().split("\n");
    io.stdout(`--- ${label} (${lines.length} line${lines.length === 1 ? "" : "s"}${lines.length > 20 ? ", last 20" : ""})\n${lines.slice(-20).join("\n")}\n`);
  }
  return EXIT.ok;
}
