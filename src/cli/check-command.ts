import { checkFile } from "../check/check.js";
import type { SourceHost } from "../check/host.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnosticToJson, renderDiagnostics } from "../diagnostics/render.js";
import { EXIT, type CliIO } from "./io.js";

export interface CheckOptions {
  readonly files: readonly string[];
  readonly json: boolean;
  readonly color: boolean;
}

/** `stagecraft check FILE...`: every problem in every file, exit 1 when any is an error. */
export function runCheck(opts: CheckOptions, io: CliIO, host: SourceHost): number {
  let errors = 0;
  const all: Record<string, unknown>[] = [];
  const texts = new Map<string, string>();
  const diags: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const file of opts.files) {
    const result = checkFile(file, host);
    // No source for the entry file means it could not be read (missing, a directory, no permission).
    if (!result.sources.has(file)) {
      io.stderr(`stagecraft: cannot read '${file}'\n`);
      errors++;
      continue;
    }
    for (const [k, v] of result.sources) texts.set(k, v);
    for (const d of result.diagnostics) {
      const key = `${d.code}\0${d.span.file}\0${d.span.start}\0${d.message}`;
      // An imported file checked twice reports its problems once.
      if (seen.has(key)) continue;
      seen.add(key);
      diags.push(d);
    }
  }
  const sources = { text: (f: string) => texts.get(f) };
  errors += diags.filter((d) => d.severity === "error").length;
  if (opts.json) {
    for (const d of diags) all.push(diagnosticToJson(d, sources));
    io.stdout(`${JSON.stringify({ files: opts.files, diagnostics: all, errors }, null, 2)}\n`);
  } else if (diags.length) {
    io.stderr(renderDiagnostics(diags, sources, { color: opts.color }));
  } else {
    io.stdout(`${opts.files.length === 1 ? opts.files[0] : `${opts.files.length} files`}: no problems\n`);
  }
  return errors > 0 ? EXIT.errors : EXIT.ok;
}
