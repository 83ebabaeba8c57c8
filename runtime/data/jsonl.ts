import { isUtf8 } from "node:buffer";
import { randomBytes } from "node:crypto";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DataError } from "./errors.js";

export type OnError = "fail" | "skip";

export interface ReadOptions {
  /** "fail" (the default) throws a DataError at the first malformed line; "skip" counts it and goes on. */
  readonly onError?: OnError;
  /** Lines longer than this are malformed (default MAX_LINE_BYTES). */
  readonly maxLineBytes?: number;
}

export interface JsonlRow {
  /** The parsed row, for reading fields: its numbers are doubles, so it is never written back. */
  readonly row: Record<string, unknown>;
  /**
   * The row's JSON text as read, without line ending or byte-order mark: what a transform writes
   * for a row it keeps, so digits a double cannot hold survive (see json-text.ts).
   */
  readonly text: string;
  /** 1-based line of the file, for messages that point at the data. */
  readonly line: number;
}

/**
 * What writeJsonl takes: a row object, which it serialises, or a row's JSON text (a JsonlRow's
 * `text`, or one made from it by `withFields`), which it writes as it is.
 */
export type RowOut = object | string;

/** What a read met; filled in as the iteration goes, final once it has ended. */
export interface ReadReport {
  readonly file: string;
  /** Rows yielded so far. */
  readonly rows: number;
  /** Lines passed over under "skip": malformed ones, and rows the transform could not use. */
  readonly skipped: number;
  /** The first MAX_BAD_LINES of those lines, ascending. */
  readonly badLines: readonly number[];
  /** How many of the skipped were rows the transform could not use, and the first of them. */
  readonly unfit: number;
  readonly firstUnfit?: { readonly line: number; readonly reason: string };
}

export interface JsonlReader extends AsyncIterable<JsonlRow> {
  readonly report: ReadReport;
  /**
   * A row this reader yielded that the transform cannot use (a field missing, text where a number
   * belongs): under "skip" it is counted with the skipped lines and true is returned; under "fail",
   * false, and the caller fails.
   */
  pass(line: number, reason: string): boolean;
}

/** Enough line numbers to find a pattern in the bad lines without keeping a million of them. */
export const MAX_BAD_LINES = 100;
const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Streams the rows of a JSONL file. The file is read in 1 MiB chunks and split on newline bytes,
 * which never occur inside a multi-byte UTF-8 character, so each line is decoded once, straight
 * from the chunk. Breaking out of the loop closes the file without reading further, which is what
 * lets `take` stop early. Each iteration reads the file afresh and resets the report.
 */
export function readJsonl(file: string, opts: ReadOptions = {}): JsonlReader {
  const onError = opts.onError ?? "fail";
  const report: { -readonly [K in keyof ReadReport]: ReadReport[K] } & { badLines: number[] } = { file, rows: 0, skipped: 0, badLines: [], unfit: 0 };
  return {
    report,
    pass(line, reason) {
      if (onError === "fail") return false;
      report.rows--;
      report.skipped++;
      report.unfit++;
      report.firstUnfit ??= { line, reason };
      if (report.badLines.length < MAX_BAD_LINES) report.badLines.push(line);
      return true;
    },
    async *[Symbol.asyncIterator]() {
      report.rows = 0;
      report.skipped = 0;
      report.badLines = [];
      report.unfit = 0;
      delete report.firstUnfit;
      for await (const { texts, first } of lineBatches(file, opts.maxLineBytes ?? MAX_LINE_BYTES)) {
        for (let i = 0; i < texts.length; i++) {
          const line = first + i;
          const t = texts[i]!;
          const parsed = typeof t === "string" ? parseLine(t, line === 1) : t.problem;
          if (parsed === undefined) continue;
          if (typeof parsed === "string") {
            if (onError === "fail") throw new DataError(file, line, parsed);
            report.skipped++;
            if (report.badLines.length < MAX_BAD_LINES) report.badLines.push(line);
            continue;
          }
          report.rows++;
          yield { ...parsed, line };
        }
      }
    },
  };
}

/** A row and its text, undefined for a blank line, or the reason the line is not a JSON object. */
function parseLine(text: string, first: boolean): { row: Record<string, unknown>; text: string } | string | undefined {
  let t = text;
  // A byte-order mark belongs to the file, not to its first row, whose text may be written anywhere.
  if (first && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
  if (t.endsWith("\r")) t = t.slice(0, -1);
  if (t.trim() === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (v === null || typeof v !== "object") return `found ${v === null ? "null" : typeof v}`;
  if (Array.isArray(v)) return "found an array";
  return { row: v as Record<string, unknown>, text: t };
}

/** A line that cannot be a row whatever it holds: why, for the report. */
interface LineProblem {
  readonly problem: string;
}

/** The longest line read as a row; a longer one is a malformed line (and could not be a string). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

/** A line's text, or its problem when its bytes are not UTF-8 (a decoder would replace them silently). */
function decodeLine(bytes: Buffer, start = 0, end = bytes.length): string | LineProblem {
  const text = bytes.toString("utf8", start, end);
  // U+FFFD is in the text either as written (valid) or in place of bad bytes: only then is it checked.
  if (text.includes("\uFFFD") && !isUtf8(bytes.subarray(start, end))) return { problem: "the line is not valid UTF-8" };
  return text;
}

/**
 * The lines of a file, a chunk's worth at a time: one await per chunk rather than per line keeps
 * the per-row cost down to a decode and a parse. A line that is not UTF-8, or longer than
 * maxBytes (whose bytes are passed over, not kept), comes as its problem.
 */
async function* lineBatches(file: string, maxBytes: number): AsyncGenerator<{ readonly texts: readonly (string | LineProblem)[]; readonly first: number }> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    // The start of a line that spans chunks, copied out because `buf` is reused.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let tooLong = false;
    let next = 1;
    const tooLongProblem: LineProblem = { problem: `the line is longer than ${maxBytes >= 1024 * 1024 ? `${maxBytes / (1024 * 1024)} MiB` : `${maxBytes} bytes`}` };
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const texts: (string | LineProblem)[] = [];
      let start = 0;
      for (let nl = buf.indexOf(NEWLINE, start); nl !== -1 && nl < bytesRead; nl = buf.indexOf(NEWLINE, start)) {
        if (tooLong || pendingBytes + (nl - start) > maxBytes) {
          texts.push(tooLongProblem);
        } else if (pending.length) {
          texts.push(decodeLine(Buffer.concat([...pending, buf.subarray(start, nl)])));
        } else {
          texts.push(decodeLine(buf, start, nl));
        }
        pending = [];
        pendingBytes = 0;
        tooLong = false;
        start = nl + 1;
      }
      if (start < bytesRead && !tooLong) {
        pendingBytes += bytesRead - start;
        if (pendingBytes > maxBytes) {
          tooLong = true;
          pending = [];
        } else pending.push(Buffer.from(buf.subarray(start, bytesRead)));
      }
      if (texts.length) {
        yield { texts, first: next };
        next += texts.length;
      }
    }
    if (tooLong) yield { texts: [tooLongProblem], first: next };
    else if (pending.length) yield { texts: [decodeLine(Buffer.concat(pending))], first: next };
  } finally {
    await fh.close();
  }
}

/**
 * Writes rows as JSONL to a temporary file beside the target and renames it into place once
 * complete, so a reader never sees half a file and a killed writer leaves the old target intact.
 * Because the target is replaced only at the end, an op may read and write the same path.
 * Returns the number of rows written.
 */
export async function writeJsonl(file: string, rows: AsyncIterable<RowOut> | Iterable<RowOut>): Promise<number> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "w");
  let count = 0;
  try {
    // Lines are batched so a million small rows are not a million write calls.
    let batch: string[] = [];
    let size = 0;
    for await (const row of rows) {
      const text = typeof row === "string" ? row : JSON.stringify(row);
      batch.push(text, "\n");
      size += text.length + 1;
      count++;
      if (size >= CHUNK) {
        await writeAll(fh, batch.join(""));
        batch = [];
        size = 0;
      }
    }
    if (batch.length) await writeAll(fh, batch.join(""));
    // Flushed before the rename, or a crash could leave the new name pointing at an empty file.
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return count;
}

/** A write may take fewer bytes than given; loop until all are down. */
async function writeAll(fh: FileHandle, text: string): Promise<void> {
  const bytes = Buffer.from(text, "utf8");
  for (let off = 0; off < bytes.length; ) off += (await fh.write(bytes, off)).bytesWritten;
}
