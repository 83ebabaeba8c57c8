import { writeFileSync } from "node:fs";
import type { SourceHost } from "../check/host.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { formatProgram } from "../format/format.js";
import { parseProgram } from "../syntax/parse-program.js";
import { cannotRead } from "./fs-host.js";
import { EXIT, type CliIO } from "./io.js";

export interface FmtOptions {
  readonly files: readonly string[];
  readonly check: boolean;
  readonly write: boolean;
  readonly color: boolean;
}

/**
 * `stagecraft fmt`: prints the canonical layout (one file: its text; several: each under a header),
 * or with --check lists the files that differ, or with --write rewrites them. A file with syntax
 * errors is never rewritten.
 */
export function runFmt(opts: FmtOptions, io: CliIO, host: SourceHost): number {
  let status: number = EXIT.ok;
  for (const file of opts.files) {
    const text = host.read(file);
    if (text === undefined) {
      io.stderr(cannotRead(file, host));
      status = EXIT.errors;
      continue;
    }
    const parsed = parseProgram(file, text);
    if (parsed.diagnostics.some((d) => d.severity === "error")) {
      io.stderr(renderDiagnostics(parsed.diagnostics, { text: (f) => (f === file ? text : undefined) }, { color: opts.color }));
      io.stderr(`stagecraft fmt: '${file}' has syntax errors and was not formatted\n`);
      status = EXIT.errors;
      continue;
    }
    const formatted = formatProgram(parsed.program, text);
    if (opts.check) {
      if (formatted !== text) {
        io.stdout(`${file}: not formatted\n`);
        status = EXIT.errors;
      }
    } else if (opts.write) {
      if (formatted !== text) {
        writeFileSync(file, formatted);
        io.stdout(`formatted ${file}\n`);
      }
    } else {
      io.stdout(opts.files.length > 1 ? `# ${file}\n${formatted}` : formatted);
    }
  }
  return status;
}
