/**
 * A small layout algebra in the style of Wadler's "prettier printer": the formatter describes
 * where lines may break, and `render` picks breaks from the width alone. Because the choice
 * depends only on the document, never on the input's layout, formatting is idempotent.
 */

export type Doc =
  | string
  | readonly Doc[]
  /** A space (or nothing) when its group is flat, a newline when the group breaks. */
  | { readonly kind: "line"; readonly flat: string }
  | { readonly kind: "hardline" }
  | { readonly kind: "indent"; readonly by: number; readonly doc: Doc }
  /** `broken` groups never print flat: they hold comments, which must end their line. */
  | { readonly kind: "group"; readonly doc: Doc; readonly broken: boolean }
  /** A line comment: held back and written at the end of the current output line. */
  | { readonly kind: "suffix"; readonly text: string };

export const line: Doc = { kind: "line", flat: " " };
export const softline: Doc = { kind: "line", flat: "" };
export const hardline: Doc = { kind: "hardline" };

export function indent(by: number, doc: Doc): Doc {
  return { kind: "indent", by, doc };
}

export function group(doc: Doc, forced = false): Doc {
  return { kind: "group", doc, broken: forced || mustBreak(doc) };
}

export function suffix(text: string): Doc {
  return { kind: "suffix", text };
}

function isList(d: Doc): d is readonly Doc[] {
  return Array.isArray(d);
}

/**
 * A group holding a hard break, or a group that must break, must break too. Without this a
 * group could print flat around a broken child, and whether it did would depend on why the
 * child broke (width or comment), which differs between a first and a second formatting.
 */
function mustBreak(doc: Doc): boolean {
  if (typeof doc === "string") return false;
  if (isList(doc)) return doc.some(mustBreak);
  if (doc.kind === "hardline") return true;
  if (doc.kind === "indent") return mustBreak(doc.doc);
  if (doc.kind === "group") return doc.broken;
  return false;
}

type Mode = "flat" | "break";
interface Cmd {
  readonly indent: number;
  readonly mode: Mode;
  readonly doc: Doc;
}

/**
 * Whether `next` printed flat, followed by `rest` up to the next newline, stays within `room`
 * columns. Comments do not count: a long comment must not reshape the code before it.
 */
function fits(next: Cmd, rest: readonly Cmd[], room: number): boolean {
  const stack: Cmd[] = [next];
  let restIdx = rest.length - 1;
  let left = room;
  for (;;) {
    let cmd = stack.pop();
    if (cmd === undefined) {
      cmd = rest[restIdx--];
      if (cmd === undefined) return true;
    }
    const { indent: ind, mode, doc } = cmd;
    if (typeof doc === "string") {
      left -= doc.length;
      if (left < 0) return false;
    } else if (isList(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) stack.push({ indent: ind, mode, doc: doc[i]! });
    } else if (doc.kind === "indent") {
      stack.push({ indent: ind + doc.by, mode, doc: doc.doc });
    } else if (doc.kind === "group") {
      stack.push({ indent: ind, mode: doc.broken ? "break" : mode, doc: doc.doc });
    } else if (doc.kind === "line") {
      if (mode === "break") return true;
      left -= doc.flat.length;
      if (left < 0) return false;
    } else if (doc.kind === "hardline") {
      return true;
    }
  }
}

function endLine(text: string, comments: readonly string[]): string {
  const code = text.trimEnd();
  if (comments.length === 0) return code;
  const joined = comments.join("  ");
  return code === "" ? joined : `${code}  ${joined}`;
}

/** Lays the document out within `width` columns (overlong atoms stay overlong). */
export function render(doc: Doc, width: number): string {
  const lines: string[] = [];
  let cur = "";
  let pending: string[] = [];
  const stack: Cmd[] = [{ indent: 0, mode: "break", doc }];
  const newline = (ind: number): void => {
    lines.push(endLine(cur, pending));
    pending = [];
    cur = " ".repeat(ind);
  };
  for (let cmd = stack.pop(); cmd !== undefined; cmd = stack.pop()) {
    const { indent: ind, mode, doc: d } = cmd;
    if (typeof d === "string") {
      cur += d;
    } else if (isList(d)) {
      for (let i = d.length - 1; i >= 0; i--) stack.push({ indent: ind, mode, doc: d[i]! });
    } else if (d.kind === "indent") {
      stack.push({ indent: ind + d.by, mode, doc: d.doc });
    } else if (d.kind === "group") {
      let m: Mode;
      if (d.broken) m = "break";
      else if (mode === "flat") m = "flat";
      else m = fits({ indent: ind, mode: "flat", doc: d.doc }, stack, width - cur.length) ? "flat" : "break";
      stack.push({ indent: ind, mode: m, doc: d.doc });
    } else if (d.kind === "line") {
      if (mode === "flat") cur += d.flat;
      else newline(ind);
    } else if (d.kind === "hardline") {
      newline(ind);
    } else {
      pending.push(d.text);
    }
  }
  lines.push(endLine(cur, pending));
  return lines.join("\n");
}
