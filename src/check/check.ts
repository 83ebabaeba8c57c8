import { sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Field, Item } from "../syntax/ast.js";
import { Checker } from "./checker.js";
import { conform } from "./conform.js";
import { checkDecl } from "./decls.js";
import { evalExpr } from "./evaluate.js";
import { collectTopLevel, expandLoops } from "./expand.js";
import type { SourceHost } from "./host.js";
import { loadProgram, type LoadedFile } from "./load.js";
import { article, fieldSuggestion, PIPELINE_SETTINGS, STAGE_KINDS } from "./schema.js";
import type { Instance } from "./scope.js";
import { checkStage } from "./stages.js";
import { UNKNOWN, type Ty } from "./types.js";

export interface CheckedStage {
  readonly inst: Instance;
  readonly kind: string;
  /** Stages this one reads, directly or through declarations. */
  readonly deps: readonly Instance[];
}

/** The checked program: a different type from the parsed one, produced only when there are no errors. */
export interface CheckedProgram {
  readonly entry: string;
  readonly files: readonly LoadedFile[];
  readonly instances: readonly Instance[];
  readonly types: ReadonlyMap<Instance, Ty>;
  readonly stages: readonly CheckedStage[];
  readonly pipeline: Extract<Item, { kind: "pipeline" }> | undefined;
  readonly symbols: ReadonlyMap<string, Instance>;
  readonly defaults: ReadonlyMap<string, { readonly fields: readonly Field[] }>;
  /** Names (by spanKey) that are row fields in their row expression. */
  readonly rowFields: ReadonlySet<string>;
}

export interface CheckResult {
  readonly diagnostics: readonly Diagnostic[];
  /** Every file read, for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
  readonly program: CheckedProgram | undefined;
}

/** Parses, resolves, expands and type-checks a pipeline file and its imports. Never throws on user input. */
export function checkFile(entry: string, host: SourceHost): CheckResult {
  const loaded = loadProgram(entry, host);
  const sources = new Map(loaded.files.map((f) => [f.path, f.text]));
  const c = new Checker(loaded.files);
  c.sink.addAll(loaded.diagnostics);
  c.evaluateInstance = (ch, inst) => {
    // A declaration with a syntax error is declared, but not checked: its recovered text would mislead.
    if (inst.item.broken) return UNKNOWN;
    return inst.item.kind === "stage" ? checkStage(ch, inst, inst.item) : checkDecl(ch, inst, inst.item);
  };

  for (const f of loaded.files) {
    c.visibility.set(f.path, f.imports.map((i) => ({ file: i.path, names: i.names ? new Set(i.names.map((n) => n.name)) : undefined })));
  }
  const instances: Instance[] = [];
  for (const f of loaded.files) collectTopLevel(c, f.path, f.program.items, instances);
  collectSettings(c, loaded.files);
  for (const f of loaded.files) expandLoops(c, f.path, f.program.items, new Map(), instances);
  checkImportedNames(c, loaded.files);
  sortBySource(instances, loaded.files);

  const types = new Map<Instance, Ty>();
  for (const inst of instances) types.set(inst, c.typeOf(inst, undefined));
  const pipeline = checkPipeline(c, loaded.files);
  checkDefaults(c);
  c.flush();
  // Unused-declaration warnings are only trustworthy once everything was checked: an error can hide the use.
  if (!c.sink.hasErrors) reportUnused(c, instances, loaded.files[0]?.path);

  const diagnostics = sortDiagnostics(c.sink.all);
  const ok = !diagnostics.some((d) => d.severity === "error");
  const stages: CheckedStage[] = instances
    .filter((i) => i.item.kind === "stage")
    .map((inst) => ({ inst, kind: inst.item.kind === "stage" ? inst.item.stageKind : "", deps: stageDeps(c, inst) }));
  const program: CheckedProgram | undefined = ok
    ? { entry, files: loaded.files, instances, types, stages, pipeline, symbols: c.symbols, defaults: c.defaults, rowFields: c.rowFields }
    : undefined;
  return { diagnostics, sources, program };
}

/**
 * Source order: files in load order, top-level items by position, and a loop's instances where the
 * loop stands, round by round (the sort is stable, and expansion produced them round by round).
 */
function sortBySource(instances: Instance[], files: readonly LoadedFile[]): void {
  const fileIndex = new Map(files.map((f, i) => [f.path, i]));
  const tops = new Map(files.map((f) => [f.path, f.program.items.map((i) => i.span.start)]));
  const topOf = (inst: Instance): number => {
    const starts = tops.get(inst.file) ?? [];
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= inst.item.span.start) lo = mid;
      else hi = mid - 1;
    }
    return starts[lo] ?? 0;
  };
  const key = new Map(instances.map((i) => [i, [fileIndex.get(i.file) ?? 0, topOf(i)] as const]));
  instances.sort((a, b) => key.get(a)![0] - key.get(b)![0] || key.get(a)![1] - key.get(b)![1]);
}

/** Declarations of the entry file that nothing reads are probably a mistake (a typo elsewhere, or leftovers). */
function reportUnused(c: Checker, instances: readonly Instance[], entry: string | undefined): void {
  const used = c.referenced;
  const reported = new Set<unknown>();
  for (const inst of instances) {
    if (inst.item.kind !== "decl" || inst.file !== entry || used.has(inst) || reported.has(inst.item)) continue;
    reported.add(inst.item);
    c.report("SC2013", inst.nameSpan, `${inst.item.declKind} '${inst.item.name.raw}' is declared but never used`, {
      suggestion: "remove it, or check the spelling where it should be used",
    });
  }
}

/** Stage-level dependencies: follow reference edges through declarations until a stage is reached. */
function stageDeps(c: Checker, stage: Instance): Instance[] {
  const out = new Set<Instance>();
  const seen = new Set<Instance>([stage]);
  const walk = (from: Instance) => {
    for (const e of c.edges.get(from) ?? []) {
      if (seen.has(e.to)) continue;
      seen.add(e.to);
      if (e.to.item.kind === "stage") out.add(e.to);
      else walk(e.to);
    }
  };
  walk(stage);
  return [...out];
}

function collectSettings(c: Checker, files: readonly LoadedFile[]): void {
  for (const f of files) {
    for (const item of f.program.items) {
      if (item.kind !== "defaults") continue;
      const prev = c.defaults.get(item.stageKind);
      if (prev) {
        c.report("SC2002", item.kindSpan, `defaults for '${item.stageKind}' are already declared`, { related: [{ span: prev.span, message: "first declared here" }] });
        continue;
      }
      c.defaults.set(item.stageKind, { fields: item.broken ? [] : item.fields, span: item.kindSpan, broken: item.broken === true });
    }
  }
}

function checkDefaults(c: Checker): void {
  for (const [kind, d] of c.defaults) {
    if (d.broken) continue;
    const spec = STAGE_KINDS[kind];
    if (!spec) {
      c.report("SC2006", d.span, `defaults for unknown stage kind '${kind}'`, {
        suggestion: didYouMean(kind, Object.keys(STAGE_KINDS)) ?? `stage kinds: ${Object.keys(STAGE_KINDS).join(", ")}`,
      });
      continue;
    }
    const seen = new Set<string>();
    for (const f of d.fields) {
      if (seen.has(f.name)) c.report("SC2010", f.nameSpan, `'${f.name}' is set twice in defaults ${kind}`);
      seen.add(f.name);
      if (!spec.fields[f.name]) {
        c.report("SC2007", f.nameSpan, `${article(kind)} ${kind} stage has no field '${f.name}'`, { suggestion: fieldSuggestion(f.name, Object.keys(spec.fields)) });
      } else {
        // Resolve names even when no stage of this kind exists, so typos are caught.
        evalExpr(c, f.value, { env: new Map(), file: f.span.file, ...(spec.fields[f.name]?.expect.is.startsWith("row") ? { row: { fields: undefined, what: "rows" } } : {}) });
      }
    }
  }
}

function checkPipeline(c: Checker, files: readonly LoadedFile[]): Extract<Item, { kind: "pipeline" }> | undefined {
  const blocks = files.flatMap((f) => f.program.items.filter((i): i is Extract<Item, { kind: "pipeline" }> => i.kind === "pipeline"));
  const [first, ...rest] = blocks;
  for (const extra of rest) {
    c.report("SC2014", extra.nameSpan, `a pipeline has one pipeline block; '${extra.name}' is a second`, { related: first ? [{ span: first.nameSpan, message: "the first is here" }] : [] });
  }
  if (!first || first.broken) return first;
  const seen = new Set<string>();
  for (const f of first.fields) {
    if (seen.has(f.name)) c.report("SC2010", f.nameSpan, `'${f.name}' is set twice in the pipeline block`);
    seen.add(f.name);
    const spec = PIPELINE_SETTINGS[f.name];
    if (!spec) {
      c.report("SC2007", f.nameSpan, `the pipeline block has no setting '${f.name}'`, { suggestion: didYouMean(f.name, Object.keys(PIPELINE_SETTINGS)) ?? `settings: ${Object.keys(PIPELINE_SETTINGS).join(", ")}` });
      continue;
    }
    conform(c, f.value, spec.expect, f.name, { env: new Map(), file: f.span.file });
  }
  return first;
}

function checkImportedNames(c: Checker, files: readonly LoadedFile[]): void {
  for (const f of files) {
    for (const imp of f.imports) {
      if (!files.some((x) => x.path === imp.path)) {
        // The missing file is reported once; the names it would have brought stay quiet.
        c.failedImports.set(f.path, "all");
        continue;
      }
      if (!imp.names) continue;
      const declared = [...c.symbols.values()].filter((i) => i.file === imp.path).map((i) => i.name);
      for (const n of imp.names) {
        if (!declared.includes(n.name)) {
          c.report("SC2005", n.span, `'${n.name}' is not declared in ${imp.path}`, { suggestion: didYouMean(n.name, declared) });
          const failed = c.failedImports.get(f.path);
          if (failed !== "all") c.failedImports.set(f.path, new Set([...(failed ?? []), n.name]));
        }
      }
    }
  }
}
