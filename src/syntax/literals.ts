import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { NumberSuffix } from "./ast.js";

const MULTIPLIERS: Record<Exclude<NumberSuffix, "">, number> = { K: 1e3, M: 1e6, B: 1e9, T: 1e12, "%": 0.01 };
const SUFFIX_HELP = "numbers take one suffix: K (thousand), M (million), B (billion), T (trillion) or % (percent), e.g. 16K, 2M, 32.8B, 3%";

/** `16K` → 16000, `3%` → 0.03, `2e-4` → 0.0002. Bad suffixes are reported and read as plain numbers. */
export function readNumber(raw: string, s: Span, sink: DiagnosticSink): { value: number; suffix: NumberSuffix } {
  const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(.*)$/.exec(raw);
  const digits = m?.[1] ?? "0";
  const rest = m?.[2] ?? "";
  const base = Number(digits);
  // 1e999 reads as Infinity, which no later step can hold: a number must be finite.
  const finite = (value: number, suffix: NumberSuffix): { value: number; suffix: NumberSuffix } => {
    if (Number.isFinite(value)) return { value, suffix };
    sink.report("SC1006", s, `'${raw}' is too large to be a number (the largest is about 1.8e308)`);
    return { value: 0, suffix };
  };
  if (rest === "") return finite(base, "");
  if (rest in MULTIPLIERS) {
    const suffix = rest as Exclude<NumberSuffix, "">;
    // 32.8B is 32800000000 exactly, not 32799999999.999996: round away the binary fraction error.
    return finite(Number((base * MULTIPLIERS[suffix]).toPrecision(15)), suffix);
  }
  const lower = rest.toLowerCase();
  const guess = lower === "k" || lower === "m" || lower === "b" || lower === "t" ? `write ${digits}${rest.toUpperCase()}` : SUFFIX_HELP;
  sink.report("SC1006", s, `'${raw}' is not a number: unknown suffix '${rest}'`, { suggestion: guess });
  return { value: base, suffix: "" };
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "0": "\0", "/": "/" };

/** The value of a string token, by its token type: ClosedString, OpenString (runs to the end of its line) or SingleString. */
export function readString(raw: string, tokenType: string, s: Span, sink: DiagnosticSink): string {
  const closed = tokenType === "ClosedString" || (tokenType === "SingleString" && raw.length > 1 && raw.endsWith("'"));
  if (tokenType === "SingleString") {
    sink.report("SC1001", s, "strings are written in double quotes, not single quotes", { suggestion: `write "${closed ? raw.slice(1, -1) : raw.slice(1)}"` });
  } else if (!closed) {
    sink.report("SC1002", s, "this string is not closed before the end of the line", { suggestion: 'add the closing \'"\'' });
  }
  const body = closed ? raw.slice(1, -1) : raw.slice(1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = body[i + 1];
    if (n === undefined) break;
    if (n === "u" && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(body.slice(i + 2, i + 6), 16));
      i += 5;
      continue;
    }
    const e = ESCAPES[n];
    if (e === undefined) {
      const at = s.start + 1 + i;
      sink.report("SC1011", { file: s.file, start: at, end: at + 2 }, `unknown escape '\\${n}' in a string`, {
        suggestion: "escapes are \\n \\t \\r \\\\ \\\" \\0 \\/ and \\uXXXX; write '\\\\' for a backslash",
      });
      out += n;
    } else out += e;
    i++;
  }
  return out;
}

/** `/^<think>/s` → pattern and flags, checked by compiling it once. */
export function readRegex(raw: string, s: Span, sink: DiagnosticSink): { pattern: string; flags: string } {
  const last = raw.lastIndexOf("/");
  const pattern = raw.slice(1, last);
  const flags = raw.slice(last + 1);
  try {
    new RegExp(pattern, flags);
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, "") : String(err);
    sink.report("SC1007", s, `invalid regular expression: ${why}`);
  }
  return { pattern, flags };
}
