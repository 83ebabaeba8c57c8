import { lexer } from "../../grammar/tokens.js";

export type Mutation = "delete" | "duplicate" | "swap" | "truncate" | "bytes" | "insert";
export const MUTATIONS: readonly Mutation[] = ["delete", "duplicate", "swap", "truncate", "bytes", "insert"];

/** Token boundaries of a text, so mutations work on whole tokens like a person's edits do. */
export function tokenRanges(text: string): [number, number][] {
  return lexer.tokenize(text).tokens.map((t) => [t.startOffset, t.startOffset + t.image.length]);
}

const NOISE = ["{", "}", "(", ")", "[", "]", "|", "=", ":", ",", '"', "/", "#", "..", "stage", "for", "where", "1e-4", "3%", "x_{t-1}", "\u0000", "\ud800", "\t", "\n"];

/** One mutation of `text`, chosen by `rnd`. */
export function mutate(text: string, ranges: readonly [number, number][], kind: Mutation, rnd: () => number): string {
  const pick = () => ranges[Math.floor(rnd() * ranges.length)] ?? [0, 0];
  switch (kind) {
    case "delete": {
      const [a, b] = pick();
      return text.slice(0, a) + text.slice(b);
    }
    case "duplicate": {
      const [a, b] = pick();
      return text.slice(0, b) + " " + text.slice(a, b) + text.slice(b);
    }
    case "swap": {
      let [a1, b1] = pick();
      let [a2, b2] = pick();
      if (a2 < a1) [a1, b1, a2, b2] = [a2, b2, a1, b1];
      if (b1 > a2) return text;
      return text.slice(0, a1) + text.slice(a2, b2) + text.slice(b1, a2) + text.slice(a1, b1) + text.slice(b2);
    }
    case "truncate":
      return text.slice(0, Math.floor(rnd() * text.length));
    case "bytes": {
      const at = Math.floor(rnd() * text.length);
      const n = 1 + Math.floor(rnd() * 8);
      let junk = "";
      for (let i = 0; i < n; i++) junk += String.fromCharCode(Math.floor(rnd() * 0xffff));
      return text.slice(0, at) + junk + text.slice(at);
    }
    case "insert": {
      const at = Math.floor(rnd() * text.length);
      return text.slice(0, at) + (NOISE[Math.floor(rnd() * NOISE.length)] ?? "") + text.slice(at);
    }
  }
}
