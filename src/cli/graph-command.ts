import { execa } from "execa";
import { graphAscii, graphDot, graphJson, graphMermaid } from "../plan/graph.js";
import { checkFile } from "../check/check.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { lower } from "../ir/lower.js";
import { first, type Args } from "./args.js";
import { cannotRead, fsHost } from "./fs-host.js";
import { EXIT, type CliIO } from "./io.js";

/** `stagecraft graph FILE --format ascii|dot|mermaid|json|svg [--all]`. */
export async function runGraph(a: Args, io: CliIO, color: boolean): Promise<number> {
  const file = a.positional[0];
  const format = first(a, "--format") ?? "ascii";
  if (!file || !["ascii", "dot", "mermaid", "json", "svg"].includes(format)) {
    const what = file ? `stagecraft graph: there is no format '${format}'\n` : "";
    io.stderr(`${what}usage: stagecraft graph FILE [--format ascii|dot|mermaid|json|svg] [--all]\n`);
    return EXIT.usage;
  }
  const r = checkFile(file, fsHost);
  if (!r.program) {
    io.stderr(!r.sources.has(file) ? cannotRead(file) : renderDiagnostics(r.diagnostics, { text: (f) => r.sources.get(f) }, { color }));
    return EXIT.errors;
  }
  const ir = lower(r.program, (f) => r.sources.get(f) ?? "");
  const all = a.flags.has("--all");
  switch (format) {
    case "dot": io.stdout(graphDot(ir, all)); break;
    case "mermaid": io.stdout(graphMermaid(ir, all)); break;
    case "json": io.stdout(graphJson(ir, all)); break;
    case "svg": {
      // A dot that never returns must not hold the command (or outlive it): it is killed after a while.
      const res = await execa("dot", ["-Tsvg"], { input: graphDot(ir, all), reject: false, timeout: 60_000, cleanup: true });
      if (res.failed) {
        io.stderr(res.code === "ENOENT" || /ENOENT/.test(String(res.originalMessage ?? "")) ? "stagecraft graph: --format svg needs Graphviz's `dot` (apt-get install graphviz); --format dot writes the input it takes\n" : `stagecraft graph: dot failed: ${String(res.stderr)}\n`);
        return EXIT.errors;
      }
      io.stdout(String(res.stdout));
      break;
    }
    default: io.stdout(graphAscii(ir, all));
  }
  return EXIT.ok;
}
