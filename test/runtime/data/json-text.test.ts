import { describe, expect, it } from "vitest";
import { fieldText, members, withFields } from "../../../runtime/data/json-text.js";

describe("members", () => {
  it("finds each top-level member's value, past nested values and strings that look like syntax", () => {
    const text = ' { "a" : {"id": 1, "s": "},]"} , "b":[1,[2,{"c":"\\\\"}]],"q":"say \\"hi\\"", "n" :-1.5e3 ,"t":true}';
    expect(JSON.parse(text)).toBeTruthy();
    const got = members(text).map((m) => [m.name, text.slice(m.start, m.end)]);
    expect(got).toEqual([
      ["a", '{"id": 1, "s": "},]"}'],
      ["b", '[1,[2,{"c":"\\\\"}]]'],
      ["q", '"say \\"hi\\""'],
      ["n", "-1.5e3"],
      ["t", "true"],
    ]);
  });

  it("decodes escaped key names and finds nothing in an empty object", () => {
    expect(members('{"\\u0069d":7}').map((m) => m.name)).toEqual(["id"]);
    expect(members("{ }")).toEqual([]);
  });
});

describe("fieldText", () => {
  it("is the last of repeated keys, as JSON.parse reads it, and never a nested field", () => {
    expect(fieldText('{"id":1,"id":22}', "id")).toBe("22");
    expect(fieldText('{"a":{"id":1},"id":12345678901234567891}', "id")).toBe("12345678901234567891");
    expect(fieldText('{"a":{"id":1}}', "id")).toBeUndefined();
  });
});

describe("withFields", () => {
  it("replaces a field's value in place and keeps every other byte", () => {
    expect(withFields('{"id": 12345678901234567891, "s":1.0, "x":1e400}', [["s", 0.5]])).toBe('{"id": 12345678901234567891, "s":0.5, "x":1e400}');
  });

  it("adds new fields after the last member, and into an empty object", () => {
    expect(withFields('{"id":1.0 }', [["len", 3], ["tag", "a\"b"]])).toBe('{"id":1.0,"len":3,"tag":"a\\"b" }');
    expect(withFields("{}", [["len", 3]])).toBe('{"len":3}');
    expect(withFields(" { } ", [["len", 3]])).toBe(' {"len":3 } ');
  });

  it("replaces the last of repeated keys, so the value read back is the new one", () => {
    const text = withFields('{"s":1,"s":2}', [["s", 9]]);
    expect(text).toBe('{"s":1,"s":9}');
    expect(JSON.parse(text)).toEqual({ s: 9 });
  });

  it("writes a value JSON cannot hold as null and returns the text unchanged when given no fields", () => {
    expect(withFields('{"a":1}', [["b", undefined]])).toBe('{"a":1,"b":null}');
    expect(withFields('{"a": 1.0}', [])).toBe('{"a": 1.0}');
  });

  it("reads back as the row with the fields set, whatever the row holds", () => {
    const rows: Record<string, unknown>[] = [
      {},
      { a: 1 },
      { s: "x,y}", n: null, nested: { s: 1, deep: [1, { s: "]" }] }, b: false },
      { "we\"ird": "\\", s: [] },
      { s: 1, t: 2, u: "\u2028" },
    ];
    for (const row of rows) {
      for (const text of [JSON.stringify(row), JSON.stringify(row, null, 1).replace(/\n/g, " ")]) {
        const set: [string, unknown][] = [["s", 0.25], ["new", { k: [1] }], ["t", "v"]];
        expect(JSON.parse(withFields(text, set)), text).toEqual({ ...row, s: 0.25, new: { k: [1] }, t: "v" });
      }
    }
  });
});
