import { checkFile } from "../check/check.js";
import { graphCycles } from "../ir/cycles.js";
import { lower } from "../ir/lower.js";
import type { SourceHost } from "../check/host.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnosticToJson, renderDiagnostics } from "../diagnostics/render.js";
import { cannotRead } from "./fs-host.js";
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
  const unreadable: Record<string, unknown>[] = [];
  for (const file of opts.files) {
    const result = checkFile(file, host);
    // No source for the entry file means it could not be read (missing, a directory, no permission).
    if (!result.sources.has(file)) {
      if (opts.json) unreadable.push({ file, error: host.why?.(file) ?? "cannot be read" });
      else io.stderr(cannotRead(file, host));
      errors++;
      continue;
    }
    for (const [k, v] of result.sources) texts.set(k, v);
    // Lowering links commands through the files they name, which can close a cycle the checker's
    // references do not show.
    const cycles = result.program && !result.diagnostics.some((d) => d.severity === "error") ? graphCycles(lower(result.program, (f) => result.sources.get(f) ?? "")) : [];
    for (const d of [...result.diagnostics, ...cycles]) {
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
    io.stdout(`${JSON.stringify({ files: opts.files, ...(unreadable.length ? { unreadable } : {}), diagnostics: all, errors }, null, 2)}\n`);
  } else if (diags.length) {
    io.stderr(renderDiagnostics(diags, sources, { color: opts.color }));
  } else if (errors === 0) {
    io.stdout(`${opts.files.length === 1 ? opts.files[0] : `${opts.files.length} files`}: no problems\n`);
  }
  return errors > 0 ? EXIT.errors : EXIT.ok;
}
