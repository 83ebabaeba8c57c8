import { DiagnosticSink, type DiagnosticInit, type Related } from "../diagnostics/diagnostic.js";
import type { Code } from "../diagnostics/codes.js";
import type { Span } from "../diagnostics/span.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Field } from "../syntax/ast.js";
import type { LoadedFile } from "./load.js";
import { kindOf, type Instance, type Scope } from "./scope.js";
import { UNKNOWN, type Ty } from "./types.js";

export interface Edge {
  readonly to: Instance;
  readonly span: Span;
}

/** Name comparisons for did-you-mean in one check (a few seconds at most). */
const SUGGEST_BUDGET = 2_000_000;

/**
 * The checker's state: the symbol table of expanded instances, memoised types, the reference
 * edges found while evaluating, and the diagnostics sink. Evaluation is lazy: a name's type is
 * computed on first reference, which is also how cycles are found.
 */
export class Checker {
  readonly sink = new DiagnosticSink();
  readonly symbols = new Map<string, Instance>();
  /** Names each file can see beyond its own: undefined means every name of that file. */
  readonly visibility = new Map<string, { file: string; names: ReadonlySet<string> | undefined }[]>();
  readonly defaults = new Map<string, { fields: readonly Field[]; span: Span; broken?: boolean }>();
  readonly edges = new Map<Instance, Edge[]>();
  /** Every instance some expression reads, including loop bounds and settings outside any declaration. */
  readonly referenced = new Set<Instance>();
  /** Per file, names that failed to import ("all" when a whole file is missing): already reported. */
  readonly failedImports = new Map<string, Set<string> | "all">();
  /** Names (by spanKey) that were read as row fields, so lowering resolves them the same way. */
  readonly rowFields = new Set<string>();
  /** Declared command outputs (normalised path) → the stage that declared it first (see stages.ts). */
  readonly outputWriters = new Map<string, { readonly stage: string; readonly span: Span }>();
  /** Templates declared in loops, by their text, for messages about rounds that do not exist. */
  readonly templates = new Map<string, { span: Span; names: string[] }>();
  private readonly memo = new Map<Instance, Ty>();
  private readonly state = new Map<Instance, "visiting" | "done">();
  private readonly stack: { inst: Instance; via: Span | undefined }[] = [];
  private readonly reportedCycles = new Set<string>();
  /** Names compared for did-you-mean so far (see suggestName). */
  private suggestWork = 0;
  /** Whether the loops have been reported for declaring more than MAX_INSTANCES names. */
  reportedTooMany = false;
  private readonly seenDiagnostics = new Set<string>();
  /** Evaluates an instance; set by check.ts so the modules stay acyclic. */
  evaluateInstance: (c: Checker, inst: Instance) => Ty = () => UNKNOWN;

  constructor(readonly files: readonly LoadedFile[]) {}

  report(code: Code, span: Span, message: string, init?: DiagnosticInit): void {
    const key = `${code}\0${span.file}\0${span.start}\0${span.end}\0${message}`;
    if (this.seenDiagnostics.has(key)) return;
    this.seenDiagnostics.add(key);
    this.sink.report(code, span, message, init);
  }

  private readonly byRound = new Map<string, { code: Code; span: Span; message: string; init: DiagnosticInit | undefined; rounds: string[] }>();

  /**
   * Reports a mistake found while checking one loop round. The same mistake in several rounds is one
   * diagnostic that lists the rounds ("when t = 1, 2, 3"); call flush() before reading the sink.
   */
  reportIn(scope: Scope, code: Code, span: Span, message: string, init?: DiagnosticInit): void {
    if (scope.env.size === 0) {
      this.report(code, span, message, init);
      return;
    }
    const key = `${code}\0${span.file}\0${span.start}\0${span.end}\0${message}`;
    const round = [...scope.env].map(([k, v]) => `${k} = ${v}`).join(", ");
    const entry = this.byRound.get(key);
    if (entry) {
      if (!entry.rounds.includes(round)) entry.rounds.push(round);
    } else this.byRound.set(key, { code, span, message, init, rounds: [round] });
  }

  flush(): void {
    for (const e of this.byRound.values()) {
      const single = e.rounds.every((r) => !r.includes(","));
      const rounds = single && e.rounds.length > 1 ? `${e.rounds[0]!.split(" = ")[0]} = ${e.rounds.map((r) => r.split(" = ")[1]).join(", ")}` : e.rounds.join("; ");
      this.report(e.code, e.span, `${e.message} (when ${rounds})`, e.init);
    }
    this.byRound.clear();
  }

  current(): Instance | undefined {
    return this.stack[this.stack.length - 1]?.inst;
  }

  currentStage(): Instance | undefined {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const inst = this.stack[i]!.inst;
      if (inst.item.kind === "stage") return inst;
    }
    return undefined;
  }

  /** Whether `inst` may be named from `file`. */
  visible(inst: Instance, file: string): boolean {
    if (inst.file === file) return true;
    return (this.visibility.get(file) ?? []).some((v) => v.file === inst.file && (v.names === undefined || v.names.has(inst.name)));
  }

  /** The type of an instance, evaluated once; a reference back into the evaluation in progress is a cycle. */
  typeOf(inst: Instance, via: Span | undefined): Ty {
    const from = this.current();
    if (via) this.referenced.add(inst);
    if (from && via) {
      const list = this.edges.get(from) ?? [];
      if (!list.some((e) => e.to === inst)) list.push({ to: inst, span: via });
      this.edges.set(from, list);
    }
    const st = this.state.get(inst);
    if (st === "done") return this.memo.get(inst) ?? UNKNOWN;
    if (st === "visiting") {
      this.reportCycle(inst, via);
      return UNKNOWN;
    }
    this.state.set(inst, "visiting");
    this.stack.push({ inst, via });
    let ty: Ty = UNKNOWN;
    try {
      ty = this.evaluateInstance(this, inst);
    } finally {
      this.stack.pop();
      this.state.set(inst, "done");
      this.memo.set(inst, ty);
    }
    return ty;
  }

  private reportCycle(inst: Instance, via: Span | undefined): void {
    const at = this.stack.findIndex((s) => s.inst === inst);
    const members = this.stack.slice(at);
    // Keyed by where the members are declared, so the same cycle in every loop round is one error.
    const key = members.map((m) => `${m.inst.nameSpan.file}:${m.inst.nameSpan.start}`).sort().join("\0");
    if (this.reportedCycles.has(key)) return;
    this.reportedCycles.add(key);
    const related: Related[] = [];
    for (let i = 0; i < members.length; i++) {
      const reader = members[i]!.inst;
      const next = members[i + 1];
      const span = next ? next.via : via;
      const target = next ? next.inst : inst;
      if (span) related.push({ span, message: `${kindOf(reader)} '${reader.name}' reads ${kindOf(target)} '${target.name}' here` });
    }
    const path = [...members.map((m) => m.inst.name), inst.name].join(" → ");
    const allStages = members.every((m) => m.inst.item.kind === "stage");
    this.report("SC3002", inst.nameSpan, `${allStages ? "stages" : "declarations"} depend on each other in a cycle: ${path}`, {
      related,
      suggestion: "one of these references must go, or point at an earlier stage",
    });
  }

  /** Names a user could have meant, for did-you-mean. */
  suggestName(name: string, scope: Scope, extra: Iterable<string> = []): string | undefined {
    // Each suggestion compares the name with every name in scope: a file with thousands of unknown
    // names (a typo in a 10,000-round loop) would make checking quadratic, so past a budget of
    // comparisons the rest are reported without one.
    this.suggestWork += this.symbols.size;
    if (this.suggestWork > SUGGEST_BUDGET) return undefined;
    const names = new Set<string>(extra);
    for (const k of scope.env.keys()) names.add(k);
    for (const [k, inst] of this.symbols) if (this.visible(inst, scope.file)) names.add(k);
    // Never the declaration being checked: `model = m` inside stage `s` is not a typo for `s`.
    const self = this.stack.at(-1)?.inst.name;
    if (self !== undefined) names.delete(self);
    return didYouMean(name, names);
  }
}
