import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { Program } from "../syntax/ast.js";
import { parseProgram } from "../syntax/parse-program.js";
import type { SourceHost } from "./host.js";

export interface LoadedFile {
  readonly path: string;
  readonly text: string;
  readonly program: Program;
  /** Resolved paths of the files this one imports, with the names it takes (undefined: all). */
  readonly imports: readonly { readonly path: string; readonly names: readonly { name: string; span: Span }[] | undefined; readonly span: Span }[];
}

export interface LoadResult {
  /** The entry file first, then its imports in the order they were reached. */
  readonly files: readonly LoadedFile[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses the entry file and everything it imports, reporting missing files and import cycles. */
export function loadProgram(entry: string, host: SourceHost): LoadResult {
  const sink = new DiagnosticSink();
  const files = new Map<string, LoadedFile>();
  const order: LoadedFile[] = [];
  const stack: { path: string; via: Span | undefined }[] = [];
  const reportedCycles = new Set<string>();

  const visit = (path: string, text: string): void => {
    const parsed = parseProgram(path, text);
    sink.addAll(parsed.diagnostics);
    const imports: LoadedFile["imports"][number][] = [];
    const file: LoadedFile = { path, text, program: parsed.program, imports };
    files.set(path, file);
    order.push(file);
    for (const item of parsed.program.items) {
      if (item.kind !== "import") continue;
      const target = host.resolve(path, item.path);
      imports.push({ path: target, names: item.names, span: item.pathSpan });
      const onStack = stack.findIndex((s) => s.path === target);
      if (onStack >= 0 || target === path) {
        const cycle = [...stack.slice(onStack >= 0 ? onStack : stack.length).map((s) => s.path), path, target];
        const key = [...new Set(cycle)].sort().join("\n");
        if (!reportedCycles.has(key)) {
          reportedCycles.add(key);
          const chain = stack.slice(onStack >= 0 ? onStack : stack.length);
          const related = chain.flatMap((s, k) => (s.via ? [{ span: s.via, message: `${s.path} imports ${chain[k + 1]?.path ?? path}` }] : []));
          sink.report("SC2004", item.pathSpan, `import cycle: ${cycle.join(" → ")}`, { related, suggestion: "move the shared declarations into a file that imports neither" });
        }
        continue;
      }
      if (files.has(target)) continue;
      const body = host.read(target);
      if (body === undefined) {
        const why = host.why?.(target);
        sink.report(
          "SC2003",
          item.pathSpan,
          why === undefined || why === "no such file" ? `cannot find the imported file '${item.path}' (looked for ${target})` : `cannot read the imported file '${item.path}': ${target} ${why}`,
        );
        continue;
      }
      stack.push({ path, via: item.pathSpan });
      visit(target, body);
      stack.pop();
    }
  };

  const text = host.read(entry);
  if (text === undefined) return { files: [], diagnostics: [] };
  visit(entry, text);
  return { files: order, diagnostics: sink.all };
}
