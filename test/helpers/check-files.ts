import { checkFile, type CheckResult } from "../../src/check/check.js";
import { fsHost } from "../../src/cli/fs-host.js";
import { memoryHost } from "../../src/check/host.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { diagnosticToJson, renderDiagnostics } from "../../src/diagnostics/render.js";

export function checkText(text: string, extra: Record<string, string> = {}): CheckResult {
  return checkFile("main.sc", memoryHost({ "main.sc": text, ...extra }));
}

export function checkPath(path: string): CheckResult {
  return checkFile(path, fsHost);
}

export function codes(r: CheckResult): string[] {
  return r.diagnostics.map((d) => d.code);
}

export function rendered(r: CheckResult): string {
  return renderDiagnostics(r.diagnostics, { text: (f) => r.sources.get(f) });
}

/** Codes with 1-based line:col of start and end, for golden comparison. */
export function spans(r: CheckResult): { code: string; severity: string; at: string; related: string[] }[] {
  const src = { text: (f: string) => r.sources.get(f) };
  return r.diagnostics.map((d: Diagnostic) => {
    const j = diagnosticToJson(d, src) as { span: { line: number; col: number; endLine: number; endCol: number } };
    const s = j.span;
    return {
      code: d.code,
      severity: d.severity,
      at: `${s.line}:${s.col}-${s.endLine}:${s.endCol}`,
      related: d.related.map((rel) => {
        const rj = diagnosticToJson({ ...d, span: rel.span, related: [] }, src) as { span: { line: number; col: number } };
        return `${rj.span.line}:${rj.span.col}`;
      }),
    };
  });
}
