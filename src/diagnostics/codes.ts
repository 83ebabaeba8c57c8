/**
 * The one catalog of diagnostic codes. Codes are stable: tests, tools and users key on them,
 * so a code is never renumbered or reused. Grouped by phase:
 *   SC1xxx syntax, SC2xxx names and types, SC3xxx graph, SC4xxx runtime.
 */
export type Phase = "syntax" | "names" | "types" | "graph" | "runtime" | "internal";
export type Severity = "error" | "warning" | "info";

export interface CodeInfo {
  readonly phase: Phase;
  readonly severity: Severity;
  /** One line saying what this code means, for `--explain` style listings and the reference. */
  readonly title: string;
}

export const CODES = {
  // syntax
  SC1001: { phase: "syntax", severity: "error", title: "unexpected character" },
  SC1002: { phase: "syntax", severity: "error", title: "unterminated string" },
  SC1003: { phase: "syntax", severity: "error", title: "unexpected token" },
  SC1004: { phase: "syntax", severity: "error", title: "expected one of several alternatives" },
  SC1005: { phase: "syntax", severity: "error", title: "unclosed block or bracket" },
  SC1006: { phase: "syntax", severity: "error", title: "invalid number or unit" },
  SC1007: { phase: "syntax", severity: "error", title: "invalid regular expression" },
  SC1008: { phase: "syntax", severity: "error", title: "invalid name template" },
  SC1009: { phase: "syntax", severity: "error", title: "nesting too deep" },
  SC1010: { phase: "syntax", severity: "error", title: "file is not text" },
  SC1011: { phase: "syntax", severity: "error", title: "invalid escape in string" },
  // names
  SC2001: { phase: "names", severity: "error", title: "unknown name" },
  SC2002: { phase: "names", severity: "error", title: "duplicate name" },
  SC2003: { phase: "names", severity: "error", title: "imported file not found" },
  SC2004: { phase: "names", severity: "error", title: "import cycle" },
  SC2005: { phase: "names", severity: "error", title: "imported name not defined in that file" },
  SC2006: { phase: "names", severity: "error", title: "unknown stage kind" },
  SC2007: { phase: "names", severity: "error", title: "unknown field" },
  SC2008: { phase: "names", severity: "error", title: "unknown function" },
  SC2009: { phase: "names", severity: "error", title: "unknown row field" },
  SC2010: { phase: "names", severity: "error", title: "duplicate field" },
  SC2011: { phase: "names", severity: "error", title: "no such part in the model" },
  SC2012: { phase: "names", severity: "error", title: "unknown member" },
  SC2013: { phase: "names", severity: "warning", title: "declared but never used" },
  SC2014: { phase: "names", severity: "error", title: "more than one pipeline block" },
  SC2015: { phase: "names", severity: "error", title: "a file declared as the output of two stages" },
  SC2016: { phase: "names", severity: "error", title: "an output outside the pipeline's directory, or a pipeline file itself" },
  SC2017: { phase: "names", severity: "error", title: "a file that is both an input and an output of one command" },
  // types
  SC2101: { phase: "types", severity: "error", title: "wrong kind of value" },
  SC2102: { phase: "types", severity: "error", title: "number out of range" },
  SC2103: { phase: "types", severity: "error", title: "unit expected or wrong unit" },
  SC2104: { phase: "types", severity: "error", title: "missing required field" },
  SC2105: { phase: "types", severity: "error", title: "wrong arguments" },
  SC2106: { phase: "types", severity: "error", title: "a reward must be numeric or boolean" },
  SC2107: { phase: "types", severity: "error", title: "conflicting fields" },
  SC2108: { phase: "types", severity: "error", title: "more rows asked for than the data has" },
  SC2109: { phase: "types", severity: "error", title: "arithmetic error" },
  SC2110: { phase: "types", severity: "error", title: "index out of range" },
  SC2111: { phase: "types", severity: "error", title: "invalid loop range" },
  SC2112: { phase: "types", severity: "error", title: "a stage cannot train a frozen part" },
  SC2113: { phase: "types", severity: "error", title: "model widths do not fit" },
  // graph
  SC3001: { phase: "graph", severity: "error", title: "reference to a round that does not exist" },
  SC3002: { phase: "graph", severity: "error", title: "cycle between stages" },
  SC3003: { phase: "graph", severity: "error", title: "name defined by more than one round" },
  // internal
  SC9001: { phase: "internal", severity: "error", title: "internal error in stagecraft" },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

export function codeInfo(code: Code): CodeInfo {
  return CODES[code];
}
