import type { Diagnostic } from "./diagnostic.js";
import { LineIndex } from "./line-index.js";
import type { Span } from "./span.js";

/** Where rendering finds each file's text; files not present render without a snippet. */
export interface SourceSet {
  text(file: string): string | undefined;
}

export interface RenderOptions {
  readonly color?: boolean;
}

const ANSI = { red: "\x1b[31m", yellow: "\x1b[33m", blue: "\x1b[34m", cyan: "\x1b[36m", bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m" };

class Painter {
  constructor(private readonly on: boolean) {}
  paint(style: keyof typeof ANSI, s: string): string {
    return this.on ? `${ANSI[style]}${s}${ANSI.reset}` : s;
  }
}

const indexCache = new WeakMap<SourceSet, Map<string, LineIndex>>();

function indexFor(sources: SourceSet, file: string): LineIndex | undefined {
  let byFile = indexCache.get(sources);
  if (!byFile) {
    byFile = new Map();
    indexCache.set(sources, byFile);
  }
  let idx = byFile.get(file);
  if (!idx) {
    const text = sources.text(file);
    if (text === undefined) return undefined;
    idx = new LineIndex(text);
    byFile.set(file, idx);
  }
  return idx;
}

export function location(sources: SourceSet, s: Span): string {
  const idx = indexFor(sources, s.file);
  if (!idx) return s.file;
  const { line, col } = idx.lineCol(s.start);
  return `${s.file}:${line}:${col}`;
}

/** Printable form of a source line: tabs kept as one column, control characters shown as '?'. */
function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "?");
}

const MAX_LINE = 160;

function snippet(idx: LineIndex, s: Span, p: Painter, marker: string, style: "red" | "yellow" | "blue"): string[] {
  const { line, col } = idx.lineCol(s.start);
  const endLc = idx.lineCol(Math.max(s.start, s.end - 1));
  let text = idx.lineText(line);
  let startCol = col - 1;
  let width = endLc.line === line ? Math.max(1, s.end - s.start) : Math.max(1, text.length - startCol);
  // Long lines (minified or generated input) are cut around the span.
  if (text.length > MAX_LINE) {
    const from = Math.max(0, startCol - 40);
    text = (from > 0 ? "…" : "") + text.slice(from, from + MAX_LINE) + (from + MAX_LINE < text.length ? "…" : "");
    startCol = startCol - from + (from > 0 ? 1 : 0);
    width = Math.min(width, MAX_LINE - (startCol - (from > 0 ? 1 : 0)));
  }
  const gutter = String(line);
  const pad = " ".repeat(gutter.length);
  const prefix = text.slice(0, startCol).replace(/[^\t]/g, " ");
  return [
    `${pad} ${p.paint("blue", "|")}`,
    `${p.paint("blue", gutter)} ${p.paint("blue", "|")} ${printable(text)}`,
    `${pad} ${p.paint("blue", "|")} ${prefix}${p.paint(style, marker.repeat(Math.max(1, width)))}`,
  ];
}

export function renderDiagnostic(d: Diagnostic, sources: SourceSet, opts: RenderOptions = {}): string {
  const p = new Painter(opts.color ?? false);
  const sevStyle = d.severity === "error" ? "red" : d.severity === "warning" ? "yellow" : "blue";
  const lines: string[] = [];
  lines.push(`${p.paint("bold", location(sources, d.span))}: ${p.paint(sevStyle, `${d.severity}[${d.code}]`)}: ${p.paint("bold", d.message)}`);
  const idx = indexFor(sources, d.span.file);
  if (idx) lines.push(...snippet(idx, d.span, p, "^", sevStyle));
  if (d.suggestion !== undefined) lines.push(`  ${p.paint("cyan", "help")}: ${d.suggestion}`);
  for (const r of d.related) {
    lines.push(`  ${p.paint("blue", "note")}: ${location(sources, r.span)}: ${r.message}`);
    const ridx = indexFor(sources, r.span.file);
    if (ridx) lines.push(...snippet(ridx, r.span, p, "-", "blue").map((l) => `  ${l}`));
  }
  return lines.join("\n");
}

export function renderDiagnostics(ds: readonly Diagnostic[], sources: SourceSet, opts: RenderOptions = {}): string {
  if (ds.length === 0) return "";
  const body = ds.map((d) => renderDiagnostic(d, sources, opts)).join("\n\n");
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.filter((d) => d.severity === "warning").length;
  const parts: string[] = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  return `${body}\n\n${parts.join(", ") || "no problems"}\n`;
}

/** Machine-readable form for `--json`: spans with both offsets and line:col. */
export function diagnosticToJson(d: Diagnostic, sources: SourceSet): Record<string, unknown> {
  const pos = (s: Span) => {
    const idx = indexFor(sources, s.file);
    const a = idx?.lineCol(s.start);
    const b = idx?.lineCol(s.end);
    return { file: s.file, start: s.start, end: s.end, line: a?.line, col: a?.col, endLine: b?.line, endCol: b?.col };
  };
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    span: pos(d.span),
    related: d.related.map((r) => ({ message: r.message, span: pos(r.span) })),
    ...(d.suggestion !== undefined ? { suggestion: d.suggestion } : {}),
  };
}
