import type { Store } from "../src/cache/store.js";
import type { Ir, IrNode, NodeId } from "../src/ir/ir.js";
import type { RunEvent } from "./events.js";

/** A file a node produced, to be captured into the store under `name`. */
export interface ProducedFile {
  readonly name: string;
  readonly path: string;
}

export interface NodeOutcome {
  readonly outputs: readonly ProducedFile[];
  readonly stdout?: string;
  readonly stderr?: string;
  readonly metrics?: string;
  /** Anything worth telling the user (malformed rows skipped, ...). */
  readonly warnings?: readonly string[];
  /** The result in a few words, shown on the node's line when it finishes ("accuracy 61.0% (61/100)"). */
  readonly summary?: string;
  /** Logs in files rather than in memory (a command may print gigabytes). */
  readonly logFiles?: LogFiles;
}

/** Files holding a node's logs, which the executor keeps in the store whether the node succeeds or fails. */
export interface LogFiles {
  readonly stdout?: string;
  readonly stderr?: string;
}

/** A failure whose logs are worth keeping: the message says it in short, the files in full. */
export class FailedWithLogs extends Error {
  constructor(
    message: string,
    readonly logFiles: LogFiles,
  ) {
    super(message);
  }
}

/** What a runner may use: the inputs' files, a scratch directory, the cancel signal. */
export interface RunnerContext {
  readonly ir: Ir;
  readonly store: Store;
  /**
   * The directory of the file the node is written in: a command's relative paths start there (then
   * at its `cwd`), as a scorer's do, and as the plan digests them.
   */
  readonly cwd: string;
  /** A fresh scratch directory for this node, on the store's filesystem. */
  readonly scratch: string;
  /**
   * A working directory that outlives an attempt: `<store>/work/<fingerprint>/`, the same for every
   * attempt at the same node, created before the runner starts and removed once the node's result is
   * committed. Training stages keep their checkpoints here, so a killed run resumes inside the stage.
   * Whatever is in it must be checked before use (a previous attempt may have died mid-write).
   */
  readonly work: string;
  readonly signal: AbortSignal;
  readonly backend: string;
  /** The node's fingerprint, recorded in the artifacts it writes (absent when run outside a plan). */
  readonly fingerprint?: string;
  /** Paths of an input node's outputs, by output name. */
  outputs(id: NodeId): ReadonlyMap<string, string>;
  emit(e: RunEvent): void;
}

/** Runs one kind of node. Expected failures throw an Error whose message is shown to the user. */
export interface NodeRunner {
  run(node: IrNode, ctx: RunnerContext): Promise<NodeOutcome>;
}
