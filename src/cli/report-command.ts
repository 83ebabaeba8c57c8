import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { graphDot } from "../plan/graph.js";
import { collectStages } from "../report/collect.js";
import { dagSvg, inlineDotSvg, stageDag } from "../report/dag.js";
import { REPORT_TITLE, reportHtml } from "../report/page.js";
import { first, type Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { openSession, planFor } from "./session.js";

/** Graphviz draws the DAG when it is installed; otherwise (or when it fails) the page's own layout does. */
async function graphvizSvg(dot: string): Promise<string | undefined> {
  try {
    const { execa } = await import("execa");
    const res = await execa("dot", ["-Tsvg"], { input: dot, reject: false, timeout: 20_000 });
    return res.failed ? undefined : inlineDotSvg(String(res.stdout));
  } catch {
    return undefined;
  }
}

/**
 * `stagecraft report FILE [--to F]`: one self-contained HTML page with every cached stage's
 * metrics as charts and the stage graph. Reads the cache only; nothing runs. `--out F` is read
 * too, and works once args.ts lists it among the flags that take a value.
 */
export async function runReport(a: Args, io: CliIO, color: boolean): Promise<number> {
  const file = a.positional[0];
  if (!file || a.positional.length > 1) {
    io.stderr("usage: stagecraft report FILE [--to report.html]\n");
    return EXIT.usage;
  }
  const s = await openSession(file, a, io, color, { command: "report", needs: "read" });
  if (typeof s === "number") return s;
  const plan = await planFor(s, a);
  const stages = await collectStages(plan, s.store);
  const status = new Map(stages.map((x) => [x.name, x.cached ? ("cached" as const) : ("missing" as const)]));
  const dag = (io.env["STAGECRAFT_REPORT_LAYOUT"] === "builtin" ? undefined : await graphvizSvg(graphDot(s.ir)))
    ?? dagSvg(stageDag(s.ir), (n) => status.get(n) ?? "missing");
  const html = reportHtml({ pipeline: s.ir.pipeline.name, file, backend: s.backend, stages, dag });
  const out = path.resolve(first(a, "--out") ?? first(a, "--to") ?? "report.html");
  // Only an earlier report is written over: a pipeline file or data named by mistake is left be.
  const there = await readFile(out, { encoding: "utf8", flag: "r" }).then((t) => t.slice(0, 512), (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : ""));
  if (there !== undefined && !there.includes(REPORT_TITLE)) {
    io.stderr(`stagecraft report: '${path.relative(process.cwd(), out) || out}' exists and is not a stagecraft report; it was left as it is (name another file with --out)\n`);
    return EXIT.errors;
  }
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, html);
  const missing = stages.filter((x) => !x.cached);
  io.stdout(`wrote ${path.relative(process.cwd(), out) || out}: ${stages.length - missing.length} of ${stages.length} stages with results${missing.length ? `; no result yet for ${missing.map((x) => x.name).join(", ")}` : ""}\n`);
  return EXIT.ok;
}
