import { describe, expect, it } from "vitest";
import { RowError } from "../../../runtime/data/errors.js";
import { evalRow } from "../../../runtime/data/row-eval.js";
import { bin, call, f, k, re } from "./helpers.js";

function rowError(run: () => unknown): RowError {
  try {
    run();
  } catch (e) {
    if (e instanceof RowError) return e;
    throw e;
  }
  throw new Error("expected a RowError");
}

describe("evalRow", () => {
  it("compares a numeric string and a number as numbers, and strings exactly", () => {
    expect(evalRow(bin("==", f("a"), k(4)), { a: "4" })).toBe(true);
    expect(evalRow(bin("==", f("a"), k(4)), { a: "4.0" })).toBe(true);
    expect(evalRow(bin("!=", f("a"), k(4)), { a: "4" })).toBe(false);
    expect(evalRow(bin("==", f("a"), f("b")), { a: "4", b: "4.0" })).toBe(false);
    expect(evalRow(bin("==", f("a"), k("x")), { a: "x" })).toBe(true);
    expect(evalRow(bin("==", f("a"), k(4)), { a: "four" })).toBe(false);
    expect(evalRow(bin("==", f("a"), k(null)), { a: null })).toBe(true);
    expect(evalRow(bin("==", f("a"), k(0)), { a: null })).toBe(false);
  });

  it("coerces numeric strings in ordering and arithmetic, and names the field that is not a number", () => {
    expect(evalRow(bin(">=", f("q"), k(4)), { q: "4.5" })).toBe(true);
    expect(evalRow(bin("+", f("q"), k(1)), { q: "2" })).toBe(3);
    const e = rowError(() => evalRow(bin("<", f("q"), k(4)), { q: "high" }));
    expect(e.field).toBe("q");
    expect(e.message).toContain("field 'q'");
    expect(e.message).toContain('"high"');
  });

  it("reports a missing field as a RowError, not undefined", () => {
    const e = rowError(() => evalRow(bin(">", f("x"), k(1)), { y: 2 }));
    expect(e.reason).toBe("row has no field 'x'");
    expect(e.field).toBe("x");
  });

  it("reads extra (completion) fields before the row's", () => {
    const ex = bin("==", f("boxed_answer"), f("answer"));
    expect(evalRow(ex, { answer: 42, boxed_answer: "0" }, { boxed_answer: "42" })).toBe(true);
  });

  it("evaluates and/or/not on booleans and 0/1, and rejects other values", () => {
    expect(evalRow(bin("and", f("a"), f("b")), { a: 1, b: true })).toBe(true);
    expect(evalRow(bin("or", f("a"), f("b")), { a: 0, b: false })).toBe(false);
    expect(evalRow({ op: "unary", fn: "not", arg: f("a") }, { a: 0 })).toBe(true);
    expect(rowError(() => evalRow(bin("and", f("a"), k(true)), { a: "yes" })).field).toBe("a");
  });

  it("counts booleans as 1 and 0 in arithmetic, as rewards do", () => {
    const total = bin("+", bin("==", f("x"), k(1)), bin("*", k(0.5), bin("==", f("y"), k(2))));
    expect(evalRow(total, { x: 1, y: 2 })).toBe(1.5);
    expect(evalRow(total, { x: 0, y: 2 })).toBe(0.5);
  });

  it("fails on results JSON cannot hold instead of writing NaN or Infinity", () => {
    expect(() => evalRow(bin("/", f("a"), f("b")), { a: 1, b: 0 })).toThrow(RowError);
    expect(() => evalRow(call("log", k(-1)), {})).toThrow(RowError);
  });

  it("computes the math functions", () => {
    expect(evalRow(call("min", k(3), f("a"), k(5)), { a: "2" })).toBe(2);
    expect(evalRow(call("max", k(3), k(9), k(5)), {})).toBe(9);
    expect(evalRow(call("clamp", k(7), k(0), k(5)), {})).toBe(5);
    expect(evalRow(call("clamp", k(-7), k(0), k(5)), {})).toBe(0);
    expect(evalRow(call("abs", k(-2)), {})).toBe(2);
    expect(evalRow(call("sqrt", k(9)), {})).toBe(3);
    expect(evalRow(call("exp", k(0)), {})).toBe(1);
    expect(evalRow(call("log", k(1)), {})).toBe(0);
    expect(evalRow(call("len", f("s")), { s: "héllo😀" })).toBe(6);
    expect(evalRow({ op: "cond", test: bin(">", f("a"), k(1)), then: k("big"), else: k("small") }, { a: 3 })).toBe("big");
  });

  it("tests the completion with matches and contains, or the given field", () => {
    const extra = { completion: "<think>a</think> so \\boxed{4}" };
    expect(evalRow(call("matches", re("^<think>.*</think>.*\\\\boxed\\{.*\\}", "s")), {}, extra)).toBe(true);
    expect(evalRow(call("matches", re("^\\\\boxed")), {}, extra)).toBe(false);
    expect(evalRow(call("contains", k("boxed")), {}, extra)).toBe(true);
    expect(evalRow(call("matches", f("answer"), re("^\\d+$")), { answer: "17" })).toBe(true);
    expect(evalRow(call("contains", f("answer"), k("x")), { answer: "17" })).toBe(false);
    expect(rowError(() => evalRow(call("contains", k("a")), {})).field).toBe("completion");
  });

  it("gives the same answer for every row when the regex has the g flag", () => {
    // A shared /g regex remembers lastIndex, so the second test of the same text would fail.
    const m = call("matches", re("a", "g"));
    expect([1, 2, 3].map(() => evalRow(m, {}, { completion: "a" }))).toEqual([true, true, true]);
  });

  it("computes length_penalty from completion_tokens: 0 up to max, -1 at twice max, no lower", () => {
    const lp = call("length_penalty", k(100));
    const at = (t: number | string): unknown => evalRow(lp, {}, { completion_tokens: t });
    expect([at(50), at(100), at(150), at("200"), at(500)]).toEqual([0, 0, -0.5, -1, -1]);
  });
});
