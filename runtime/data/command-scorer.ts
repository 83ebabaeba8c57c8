/**
 * A scorer that is an external program, started without a shell (`command("python", "rm.py")`).
 *
 * The protocol, for whoever writes one:
 *   - stdin:  the rows, as JSONL (one JSON object per line, "\n"-terminated), then end of file;
 *             each line is the row's text as the data file has it, so numbers keep every digit;
 *   - stdout: one JSON object per row, one per line, in the order the rows came in, e.g.
 *             {"score": 4.5} or {"s_v": 0.3, "s_t": 0.8}; blank lines are ignored;
 *   - stderr: free-form logs; the last lines are shown if the program fails;
 *   - exit 0 when done; any other exit fails the op with the code and the stderr tail.
 * The program may answer row by row or read ahead in batches; rows are written as it reads them
 * (backpressure on stdin) while its answers are read as they come, so neither side's pipe fills
 * up waiting for the other and no file has to fit in memory.
 */
import { StringDecoder } from "node:string_decoder";
import type { Readable, Writable } from "node:stream";
import { execa } from "execa";
import { stopGroup, trackGroup } from "../process-group.js";
import { ScorerError } from "./errors.js";
import type { Scorer, ScorerRow } from "./ops-score.js";

export interface CommandScorerOptions {
  readonly cwd?: string;
  /** Added to the current environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Each line the program writes to stderr, as it comes, for the run's log. */
  readonly onStderr?: (line: string) => void;
  /** Stops the program (Ctrl-C, SIGTERM): a judge over millions of rows must not hold up the exit. */
  readonly signal?: AbortSignal;
}

const STDERR_TAIL = 20;
const MAX_LINE_SHOWN = 500;
const BATCH = 64 * 1024;

export function commandScorer(argv: readonly string[], opts: CommandScorerOptions = {}): Scorer {
  const [file, ...args] = argv;
  if (file === undefined) throw new RangeError("a command scorer needs a program to run");
  return {
    async *run(rows) {
      // In a process group of its own, like a command stage, so stopping it stops what it started
      // (a shell's `sleep`), which would otherwise hold its output open and outlive the run.
      const child = execa(file, args, {
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...(opts.env !== undefined ? { env: { ...opts.env } } : {}),
        detached: true,
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
        // The output is consumed here as a stream; execa must not collect it as well.
        buffer: false,
        reject: false,
      });
      trackGroup(child.pid, child);
      let cancelForce: (() => void) | undefined;
      const stop = (): void => {
        cancelForce ??= stopGroup(child.pid);
      };
      opts.signal?.addEventListener("abort", stop, { once: true });
      if (opts.signal?.aborted) stop();
      const tail: string[] = [];
      eachLine(child.stderr, (line) => {
        opts.onStderr?.(line);
        tail.push(line.length > MAX_LINE_SHOWN ? `${line.slice(0, MAX_LINE_SHOWN)}...` : line);
        if (tail.length > STDERR_TAIL) tail.shift();
      });
      const fail = (reason: string, code?: number): ScorerError => new ScorerError(argv, reason, code, [...tail]);

      let inputError: unknown;
      const pumping = pump(rows, child.stdin).catch((e: unknown) => {
        // Our own input failed (a malformed row under "fail"): that, not the killed child, is the error.
        inputError = e;
        stop();
      });
      let finished = false;
      try {
        let n = 0;
        let protocolError: ScorerError | undefined;
        try {
          for await (const line of lines(child.stdout)) {
            n++;
            if (line.trim() === "") continue;
            const obj = parseObject(line);
            if (obj === undefined) {
              protocolError = fail(`wrote line ${n} of its output, which is not a JSON object: ${line.slice(0, MAX_LINE_SHOWN)}`);
              break;
            }
            yield obj;
          }
        } catch (e) {
          // A stream error says less than the exit status below; keep it only as a fallback.
          protocolError = fail(`output could not be read: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (protocolError) stop();
        await pumping;
        const result = await child;
        finished = true;
        if (inputError !== undefined) throw inputError;
        if (result.exitCode !== undefined && result.exitCode !== 0) throw fail(`exited with code ${result.exitCode}`, result.exitCode);
        if (protocolError) throw protocolError;
        if (result.signal) throw fail(`was killed by ${result.signal}`);
        if (result.failed) throw fail(`could not run: ${result.shortMessage ?? result.message ?? "unknown error"}`);
      } finally {
        if (!finished) {
          // The consumer stopped early or failed: the program must not outlive the op.
          stop();
          await pumping;
          await child;
        }
        opts.signal?.removeEventListener("abort", stop);
        cancelForce?.();
      }
    },
  };
}

/** Writes rows to the program's stdin in batches, waiting whenever its pipe is full. */
async function pump(rows: AsyncIterable<ScorerRow>, stdin: Writable): Promise<void> {
  // A program that exits without reading all its input makes our writes fail with EPIPE; its
  // exit status (or the missing answers) is the error worth reporting, so this one is dropped.
  stdin.on("error", () => undefined);
  let batch = "";
  for await (const { text } of rows) {
    if (stdin.destroyed) return;
    batch += `${text}\n`;
    if (batch.length >= BATCH) {
      const ok = stdin.write(batch);
      batch = "";
      if (!ok) await drained(stdin);
    }
  }
  if (stdin.destroyed) return;
  if (batch) stdin.write(batch);
  stdin.end();
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    // A stream destroyed already has sent its last event; waiting for one would never end.
    if (stream.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      stream.off("drain", done);
      stream.off("close", done);
      stream.off("error", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
    stream.on("error", done);
  });
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The lines of a stream as they arrive; a last line without "\n" counts. */
async function* lines(stream: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of stream) {
    const text = rest + (typeof chunk === "string" ? chunk : decoder.write(chunk as Buffer));
    const parts = text.split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) yield p.endsWith("\r") ? p.slice(0, -1) : p;
  }
  rest += decoder.end();
  if (rest) yield rest;
}

/** Calls `f` with each line of a stream, for stderr, which is consumed eagerly so it never blocks the program. */
function eachLine(stream: Readable, f: (line: string) => void): void {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  stream.on("data", (chunk: Buffer | string) => {
    const parts = (rest + (typeof chunk === "string" ? chunk : decoder.write(chunk))).split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) f(p);
  });
  stream.on("end", () => {
    rest += decoder.end();
    if (rest) f(rest);
  });
}
