import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { deserialize, serialize } from "node:v8";
import type { Ir } from "../ir/ir.js";
import type { PlanStatics } from "../plan/plan.js";
import { writeFileAtomic } from "./files.js";

/**
 * Checked and lowered pipelines, kept under `<store>/compiled/` so that planning a file that has not
 * changed skips parsing, checking and lowering (most of the time `plan` takes on a large file). One
 * entry per pipeline file, replaced when it changes. An entry is used only when it was written by
 * this very build of stagecraft and every file the pipeline read (the file and its imports) still
 * has the bytes it had: anything else is a miss, never a stale answer. Only error-free pipelines
 * are kept.
 */
export interface CompiledPipeline {
  readonly ir: Ir;
  /** The text of every file the pipeline read, for source lines in messages. */
  readonly sources: ReadonlyMap<string, string>;
  /** What plans derive from the IR alone (src/plan/plan.ts). */
  readonly statics: PlanStatics;
}

interface Entry {
  readonly format: 2;
  readonly build: string;
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
  readonly ir: Ir;
  readonly statics: PlanStatics;
}

const sha256 = (s: string | Uint8Array): string => createHash("sha256").update(s).digest("hex");

/**
 * One entry per working directory and file as named (the IR keeps paths as they were given); the
 * build is checked inside, so a new build replaces the entries of the old one instead of adding.
 */
function entryPath(root: string, file: string): string {
  return path.join(root, "compiled", `${sha256(`${process.cwd()}\0${file}`).slice(0, 32)}.bin`);
}

async function textOf(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The compiled pipeline of `file`, when the store holds an entry that is still exact. */
export async function loadCompiled(root: string, build: string, file: string): Promise<CompiledPipeline | undefined> {
  let entry: Entry;
  try {
    entry = deserialize(await readFile(entryPath(root, file))) as Entry;
  } catch {
    return undefined;
  }
  if (entry?.format !== 2 || entry.build !== build || !Array.isArray(entry.files) || !(entry.statics?.paramsJson instanceof Map) || !(entry.statics.reads instanceof Map)) return undefined;
  const sources = new Map<string, string>();
  for (const f of entry.files) {
    const text = await textOf(f.path);
    if (text === undefined || sha256(text) !== f.sha256) return undefined;
    sources.set(f.path, text);
  }
  return { ir: entry.ir, sources, statics: entry.statics };
}

/** Keeps `ir` for the next command; a failure to write only costs that command the time. */
export async function saveCompiled(root: string, scratchDir: string, build: string, file: string, c: CompiledPipeline): Promise<void> {
  const entry: Entry = { format: 2, build, files: [...c.sources].map(([p, text]) => ({ path: p, sha256: sha256(text) })), ir: c.ir, statics: c.statics };
  try {
    const dest = entryPath(root, file);
    await mkdir(path.dirname(dest), { recursive: true });
    await mkdir(scratchDir, { recursive: true });
    await writeFileAtomic(scratchDir, dest, serialize(entry), { durable: false });
  } catch {
    // The cache is an optimisation: the command goes on with what it computed.
  }
}
