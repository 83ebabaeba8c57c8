/**
 * The failures a data transform reports. Each is a typed error carrying the data a runner needs to
 * turn it into a runtime diagnostic (file, line, field, exit code), so nobody parses messages.
 * They are thrown rather than returned because they end a stream in the middle: the op that
 * started the stream catches nothing and the stage runner at the edge converts them.
 */

/** A line of a JSONL input that is not a JSON object. */
export class DataError extends Error {
  override readonly name = "DataError";
  readonly kind = "malformed";

  constructor(
    readonly file: string,
    readonly line: number,
    /** Why the line was rejected: the JSON parser's message, or what the value was instead. */
    readonly reason: string,
  ) {
    super(`${file}:${line}: not a JSON object: ${reason}`);
  }
}

/** Where a row came from, once the op that read it knows. */
export interface RowLocation {
  readonly file: string;
  readonly line: number;
}

/**
 * A row that a transform cannot handle: a missing field, a non-number where a number is needed,
 * a scorer that returned no score for it. `evalRow` knows only the row, so it throws without a
 * location and the op adds one with `at`.
 */
export class RowError extends Error {
  override readonly name = "RowError";
  readonly kind = "row";

  constructor(
    /** The problem, without the location: "row has no field 'x'". */
    readonly reason: string,
    /** The field involved, when there is one. */
    readonly field?: string,
    readonly location?: RowLocation,
  ) {
    super(location ? `${location.file}:${location.line}: ${reason}` : reason);
  }

  /** The same error, placed at a row of a file; an error already placed keeps its place. */
  at(file: string, line: number): RowError {
    return this.location ? this : new RowError(this.reason, this.field, { file, line });
  }
}

/** An external scorer that could not start, exited non-zero, or wrote something that is not a score. */
export class ScorerError extends Error {
  override readonly name = "ScorerError";
  readonly kind = "scorer";

  constructor(
    readonly command: readonly string[],
    readonly reason: string,
    /** The exit code, when the program ran and exited. */
    readonly exitCode: number | undefined,
    /** The last lines the program wrote to stderr, oldest first. */
    readonly stderrTail: readonly string[],
  ) {
    const tail = stderrTail.length ? `\n${stderrTail.map((l) => `  | ${l}`).join("\n")}` : "";
    super(`scorer '${command.join(" ")}' ${reason}${tail}`);
  }
}

/** Places a RowError thrown while handling one row; anything else passes through unchanged. */
export function placeRowError(e: unknown, file: string, line: number): unknown {
  return e instanceof RowError ? e.at(file, line) : e;
}
