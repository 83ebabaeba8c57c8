import { CODES, type Code, type Severity } from "./codes.js";
import type { Span } from "./span.js";

export interface Related {
  readonly span: Span;
  readonly message: string;
}

/** A diagnostic is plain data; rendering is done at the edge by render.ts. */
export interface Diagnostic {
  readonly code: Code;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related: readonly Related[];
  readonly suggestion?: string;
}

export interface DiagnosticInit {
  readonly related?: readonly Related[];
  readonly suggestion?: string | undefined;
  readonly severity?: Severity;
}

export function diag(code: Code, span: Span, message: string, init: DiagnosticInit = {}): Diagnostic {
  const d: Diagnostic = {
    code,
    severity: init.severity ?? CODES[code].severity,
    message,
    span,
    related: init.related ?? [],
    ...(init.suggestion !== undefined ? { suggestion: init.suggestion } : {}),
  };
  return d;
}

/** Every pass writes into a sink; nothing throws on user input. */
export class DiagnosticSink {
  private readonly items: Diagnostic[] = [];

  add(d: Diagnostic): void {
    this.items.push(d);
  }

  report(code: Code, span: Span, message: string, init?: DiagnosticInit): void {
    this.items.push(diag(code, span, message, init));
  }

  addAll(ds: readonly Diagnostic[]): void {
    for (const d of ds) this.items.push(d);
  }

  get all(): readonly Diagnostic[] {
    return this.items;
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** Stable order: by file, then offset, then code. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : 0) ||
      a.span.start - b.span.start ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
