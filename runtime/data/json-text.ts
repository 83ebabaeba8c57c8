/**
 * Reading and editing a row's JSON text without a round trip through JavaScript values.
 *
 * JSON.parse turns every number into a double, so 12345678901234567891 comes back as
 * 12345678901234567000, 1e400 as Infinity (written back as null) and 1.0 as 1. A transform that
 * passes rows through therefore writes the text it read, and one that adds fields splices them into
 * that text: the fields it did not set keep their bytes. Every function here takes text that
 * JSON.parse has already accepted as an object, so none of them validates it again; what they
 * return for any other text means nothing.
 */

/** Where one top-level member of an object's text sits. */
export interface Member {
  readonly name: string;
  /** The value's text is `text.slice(start, end)`. */
  readonly start: number;
  readonly end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The top-level members of an object's text, in order, duplicates included. */
export function members(text: string): Member[] {
  const out: Member[] = [];
  eachMember(text, (nameStart, nameEnd, start, end) => {
    out.push({ name: keyName(text.slice(nameStart, nameEnd)), start, end });
  });
  return out;
}

/**
 * The text of a top-level field's value, or undefined when there is no such field. Of duplicate
 * keys the last counts, as it does for JSON.parse. Dedupe calls this for every row with a number
 * key, so names are compared in place rather than sliced out.
 */
export function fieldText(text: string, name: string): string | undefined {
  let found: string | undefined;
  eachMember(text, (nameStart, nameEnd, start, end) => {
    const escaped = text.lastIndexOf("\\", nameEnd - 1) > nameStart;
    const same = escaped
      ? keyName(text.slice(nameStart, nameEnd)) === name
      : nameEnd - nameStart === name.length + 2 && text.startsWith(name, nameStart + 1);
    if (same) found = text.slice(start, end);
  });
  return found;
}

/** Calls `visit` with the offsets of each top-level member's quoted name and of its value. */
function eachMember(text: string, visit: (nameStart: number, nameEnd: number, start: number, end: number) => void): void {
  let i = skipSpace(text, text.indexOf("{") + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return;
  for (;;) {
    const nameEnd = stringEnd(text, i);
    // Past the colon and the space around it.
    const start = skipSpace(text, skipSpace(text, nameEnd) + 1);
    const end = valueEnd(text, start);
    visit(i, nameEnd, start, end);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) return;
    i = skipSpace(text, i + 1);
  }
}

/**
 * The text with each field set to its value: a field already there has its value's text replaced
 * (the last one, if the key repeats, since that is the one JSON.parse reads), and a new field is
 * added after the last member. Everything else, spacing and number spellings included, stays as it
 * was. A value JSON cannot hold (undefined) is written as null, so the field is always there.
 */
export function withFields(text: string, fields: Iterable<readonly [string, unknown]>): string {
  const values = new Map<string, string>();
  for (const [name, value] of fields) values.set(name, JSON.stringify(value) ?? "null");
  if (values.size === 0) return text;
  const ms = members(text);
  const last = new Map<string, Member>();
  for (const m of ms) last.set(m.name, m);
  const edits: { start: number; end: number; text: string }[] = [];
  const added: string[] = [];
  for (const [name, json] of values) {
    const m = last.get(name);
    if (m) edits.push({ start: m.start, end: m.end, text: json });
    else added.push(`${JSON.stringify(name)}:${json}`);
  }
  if (added.length) {
    const tail = ms[ms.length - 1];
    const at = tail ? tail.end : text.indexOf("{") + 1;
    edits.push({ start: at, end: at, text: `${tail ? "," : ""}${added.join(",")}` });
  }
  edits.sort((a, b) => a.start - b.start);
  let out = "";
  let from = 0;
  for (const e of edits) {
    out += text.slice(from, e.start) + e.text;
    from = e.end;
  }
  return out + text.slice(from);
}

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    // JSON's whitespace: space, tab, line feed, carriage return.
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}

/** The offset just past the string that starts (with its quote) at i. */
function stringEnd(text: string, i: number): number {
  for (let q = text.indexOf('"', i + 1); q !== -1; q = text.indexOf('"', q + 1)) {
    // A quote is escaped when an odd number of backslashes stands before it.
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
  }
  return text.length;
}

/** A key's name: its text without quotes, unless escapes need decoding ("\u0069d" is "id"). */
function keyName(quoted: string): string {
  return quoted.includes("\\") ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
}

/** The offset just past the value that starts at i. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; ) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = stringEnd(text, j);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return j + 1;
      j++;
    }
    return text.length;
  }
  // A number, true, false or null: it runs to the next delimiter or space.
  for (let j = i; ; j++) {
    const d = text.charCodeAt(j);
    if (Number.isNaN(d) || d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) return j;
  }
}
