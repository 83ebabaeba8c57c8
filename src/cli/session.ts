import { readFile } from "node:fs/promises";
import path from "node:path";
import { isBackendName, resolveBackend } from "../../runtime/backend.js";
import { type CompiledPipeline, loadCompiled, saveCompiled } from "../cache/compiled.js";
import { StatCache } from "../cache/stat-cache.js";
import { DEFAULT_STORE_DIR, Store } from "../cache/store.js";
import { openStoreFor, type StoreAccess } from "../cache/store-open.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Ir } from "../ir/ir.js";
import { makePlan, planStatics, type Plan, type PlanStatics } from "../plan/plan.js";
import { select, type Selection } from "../plan/select.js";
import { BACKEND_KINDS } from "../plan/versions.js";
import { storePlanEnv } from "../plan/store-env.js";
import { first, type Args } from "./args.js";
import { describeStoreOpenError } from "./fs-errors.js";
import { EXIT, type CliIO } from "./io.js";

export interface Session {
  readonly file: string;
  readonly ir: Ir;
  readonly store: Store;
  readonly stats: StatCache;
  readonly backend: string;
  /** What the plan says about the backend beyond its name (wasm: what computes matrix products). */
  readonly backendDetail?: string;
  readonly sources: ReadonlyMap<string, string>;
  /** What plans derive from the pipeline alone (see plan/plan.ts). */
  readonly statics: PlanStatics;
  /** The directory relative paths in the pipeline resolve against: the pipeline file's own. */
  readonly cwd: string;
}

/** The cache directory: --cache-dir, then STAGECRAFT_CACHE_DIR, then .stagecraft beside the pipeline's working directory. */
export function cacheDir(a: Args, io: CliIO): string {
  // An empty variable (`STAGECRAFT_CACHE_DIR=`) is unset, not the current directory.
  return first(a, "--cache-dir") ?? (io.env["STAGECRAFT_CACHE_DIR"] || undefined) ?? DEFAULT_STORE_DIR;
}

/**
 * The cache as `command` needs it (see StoreAccess); when it cannot be used, prints why, naming the
 * path, and returns the exit code.
 */
export async function openStore(command: string, a: Args, io: CliIO, needs: StoreAccess): Promise<Store | number> {
  const opened = await openStoreFor(cacheDir(a, io), needs);
  if (opened.ok) return opened.store;
  io.stderr(`stagecraft ${command}: ${describeStoreOpenError(opened.error, command)}\n`);
  return EXIT.errors;
}

/** What a command is, for its messages, and what it needs of the cache. */
export interface SessionUse {
  readonly command: string;
  readonly needs: StoreAccess;
}

let build: Promise<string | undefined> | undefined;

/**
 * The identity of this build of stagecraft: the bundle's own digest, written beside it by
 * scripts/bundle.mjs. Compiled pipelines are kept only per build, so a changed checker or lowering
 * never meets an entry from another. Undefined when not running from the bundle (tests, `tsc`
 * output): then nothing is kept.
 */
function buildId(): Promise<string | undefined> {
  build ??= readFile(new URL("build-id", import.meta.url), "utf8").then((s) => s.trim() || undefined, () => undefined);
  return build;
}

/** Checks and lowers a pipeline file and opens the cache; on any problem, prints it and returns an exit code. */
export async function openSession(file: string, a: Args, io: CliIO, color: boolean, use: SessionUse): Promise<Session | number> {
  const root = cacheDir(a, io);
  const id = await buildId();
  // An unchanged pipeline skips parsing, checking and lowering (see src/cache/compiled.ts).
  const kept = id ? await loadCompiled(path.resolve(root), id, file) : undefined;
  let compiled: CompiledPipeline;
  if (kept) compiled = kept;
  else {
    // Loaded only on a miss: the parser is large and builds its grammar when loaded.
    const [{ checkFile }, { renderDiagnostics }, { lower }, { graphCycles }, { fsHost, cannotRead }] = await Promise.all([
      import("../check/check.js"), import("../diagnostics/render.js"), import("../ir/lower.js"), import("../ir/cycles.js"), import("./fs-host.js"),
    ]);
    const result = checkFile(file, fsHost);
    // checkFile reads nothing it cannot open: no source for the entry file means it was unreadable.
    if (!result.sources.has(file)) {
      io.stderr(cannotRead(file, fsHost));
      return 1;
    }
    if (!result.program) {
      io.stderr(renderDiagnostics(result.diagnostics, { text: (f) => result.sources.get(f) }, { color }));
      return 1;
    }
    const ir = lower(result.program, (f) => result.sources.get(f) ?? "");
    const cycles = graphCycles(ir);
    if (cycles.length) {
      io.stderr(renderDiagnostics(cycles, { text: (f) => result.sources.get(f) }, { color }));
      return 1;
    }
    compiled = { ir, sources: result.sources, statics: planStatics(ir) };
  }
  const { ir, sources, statics } = compiled;
  const training = [...ir.nodes.values()].some((n) => BACKEND_KINDS.has(n.op));
  // --backend, then the pipeline's own `backend` setting, then the best one present.
  const backend = await resolveBackend(first(a, "--backend") ?? (ir.pipeline.backend !== "auto" ? ir.pipeline.backend : undefined), training);
  if (!backend.ok) {
    io.stderr(`stagecraft: ${backend.error}\n`);
    // A name stagecraft does not know, typed on the command line, is a usage error like any other.
    const typed = first(a, "--backend");
    return typed !== undefined && typed !== "auto" && !isBackendName(typed) ? EXIT.usage : 1;
  }
  const store = await openStore(use.command, a, io, use.needs);
  if (typeof store === "number") return store;
  // Kept where it can be (a plan creates the cache to keep it in, as a run would); a cache that
  // cannot be written costs the next command the time, nothing more.
  if (id && !kept) await saveCompiled(store.root, store.tmpDir, id, file, compiled);
  const stats = await StatCache.load(store.root);
  return { file, ir, store, stats, backend: backend.name, ...(backend.detail ? { backendDetail: backend.detail } : {}), sources, statics, cwd: path.dirname(file) };
}

export function selection(a: Args): Selection & { backend?: string } {
  const list = (k: string) => a.values.get(k) ?? [];
  const force = a.flags.has("--force") ? (list("--force").length ? list("--force") : true) : false;
  return { from: list("--from"), until: list("--until"), only: list("--only"), force };
}

export async function planFor(s: Session, a: Args): Promise<Plan> {
  const env = storePlanEnv(s.store, s.stats, first(a, "--executor") === "slurm" ? "slurm" : "local", path.resolve(s.file));
  const plan = await makePlan(s.ir, env, { ...selection(a), backend: s.backend, ...(s.backendDetail ? { backendDetail: s.backendDetail } : {}), statics: s.statics });
  await saveStats(s);
  return plan;
}

/**
 * Keeps the digests learnt; a cache that cannot be written (read-only, full) costs the next command
 * the hashing, nothing more.
 */
export async function saveStats(s: Session): Promise<void> {
  try {
    await s.stats.save();
  } catch {
    // See above: an optimisation that could not be kept.
  }
}

/** Stage names given to selection flags must exist. */
export function unknownStages(s: Session, a: Args): string[] {
  const names = ["--from", "--until", "--only", "--force"].flatMap((k) => a.values.get(k) ?? []);
  return names.filter((n) => !s.ir.stages.has(n));
}

/**
 * What `plan` and `run` both start with: the pipeline file from the arguments, checked and lowered,
 * the cache opened, and the stage names of --from/--until/--only/--force known. On any problem it has
 * printed why and returns the exit code.
 */
export async function openPipeline(command: string, a: Args, io: CliIO, color: boolean, needs: StoreAccess): Promise<Session | number> {
  const file = a.positional[0];
  if (!file) {
    io.stderr(`stagecraft ${command}: no pipeline file given\n`);
    return 64;
  }
  const s = await openSession(file, a, io, color, { command, needs });
  if (typeof s === "number") return s;
  const unknown = unknownStages(s, a);
  if (unknown.length) {
    for (const u of unknown) io.stderr(`stagecraft ${command}: ${whyNoStage(s, u)}\n`);
    return 64;
  }
  const sel = selection(a);
  const given = [sel.from, sel.until, sel.only].some((l) => l?.length);
  if (given && ![...select(s.ir, sel)].some((id) => s.ir.nodes.get(id)?.kind === "stage")) {
    io.stderr(`stagecraft ${command}: note: ${selectionText(a)} selects no stage, so nothing can run\n`);
  }
  return s;
}

/** Why a selection flag's name is not a stage, with what it may have meant. */
function whyNoStage(s: Session, name: string): string {
  const data = [...s.ir.nodes.values()].find((n) => n.kind === "data" && n.name === name);
  if (data) return `'${name}' is a dataset, not a stage: --from, --until, --only and --force name stages (the datasets a selected stage reads are selected with it)`;
  const hint = didYouMean(name, s.ir.stages.keys());
  return `no stage named '${name}'${hint ? ` (${hint})` : ""}`;
}

function selectionText(a: Args): string {
  return ["--from", "--until", "--only"].flatMap((k) => (a.values.get(k) ?? []).map((v) => `${k} ${v}`)).join(" ");
}
