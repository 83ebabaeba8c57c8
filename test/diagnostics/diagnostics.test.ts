import { describe, expect, it } from "vitest";
import { diag } from "../../src/diagnostics/diagnostic.js";
import { LineIndex } from "../../src/diagnostics/line-index.js";
import { renderDiagnostic, renderDiagnostics } from "../../src/diagnostics/render.js";
import { span } from "../../src/diagnostics/span.js";
import { closest, editDistance } from "../../src/diagnostics/suggest.js";

describe("line index", () => {
  const idx = new LineIndex("ab\ncd\r\nef\rg");
  it("maps offsets to 1-based line:col across \\n, \\r\\n and \\r", () => {
    expect(idx.lineCol(0)).toEqual({ line: 1, col: 1 });
    expect(idx.lineCol(3)).toEqual({ line: 2, col: 1 });
    expect(idx.lineCol(7)).toEqual({ line: 3, col: 1 });
    expect(idx.lineCol(10)).toEqual({ line: 4, col: 1 });
    expect(idx.lineText(2)).toBe("cd");
  });
  it("clamps offsets outside the text", () => {
    expect(idx.lineCol(-5)).toEqual({ line: 1, col: 1 });
    expect(idx.lineCol(999).line).toBe(4);
  });
});

describe("suggestions", () => {
  it("counts a transposition as one edit", () => {
    expect(editDistance("form", "from")).toBe(1);
    expect(editDistance("cosne", "cosine")).toBe(1);
  });
  it("suggests only close names", () => {
    expect(closest("qualty", ["quality", "question"])).toBe("quality");
    expect(closest("zzz", ["quality", "question"])).toBeUndefined();
  });
});

describe("render", () => {
  const text = "stage a : sft {\n  lr = -1\n}\n";
  const sources = { text: (f: string) => (f === "p.sc" ? text : undefined) };
  it("draws file:line:col, the source line and a squiggle under the exact span", () => {
    const start = text.indexOf("-1");
    const out = renderDiagnostic(diag("SC2102", span("p.sc", start, start + 2), "lr must be greater than 0", { suggestion: "try 1e-4" }), sources);
    expect(out).toBe(["p.sc:2:8: error[SC2102]: lr must be greater than 0", "  |", "2 |   lr = -1", "  |        ^^", "  help: try 1e-4"].join("\n"));
  });
  it("shows related locations and a summary line", () => {
    const d = diag("SC3002", span("p.sc", 6, 7), "cycle", { related: [{ span: span("p.sc", 18, 20), message: "reads here" }] });
    const out = renderDiagnostics([d], sources);
    expect(out).toContain("note: p.sc:2:3: reads here");
    expect(out.trimEnd().endsWith("1 error")).toBe(true);
  });
  it("colours only when asked", () => {
    const d = diag("SC2001", span("p.sc", 0, 5), "x");
    expect(renderDiagnostic(d, sources)).not.toContain("\x1b[");
    expect(renderDiagnostic(d, sources, { color: true })).toContain("\x1b[");
  });
});
