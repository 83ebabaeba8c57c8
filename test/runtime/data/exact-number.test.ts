import { describe, expect, it } from "vitest";
import { exactNumber } from "../../../runtime/data/exact-number.js";

describe("exactNumber", () => {
  it("gives every spelling of a value the same text", () => {
    for (const t of ["1", "1.0", "1e0", "10e-1", "0.1e1", "1.000E+0"]) expect(exactNumber(t), t).toBe("1");
    for (const t of ["0", "-0", "0.000", "0e99"]) expect(exactNumber(t), t).toBe("0");
    expect(exactNumber("1.5e3")).toBe("1500");
    // 21 digits are written out, 22 are not: where Number::toString switches too.
    expect(exactNumber("100000000000000000000.0")).toBe("100000000000000000000");
    expect(exactNumber("1000000000000000000000")).toBe(exactNumber("1e21"));
    expect(exactNumber("1000000000000000000000")).toBe("1e+21");
    expect(exactNumber("-0.00012")).toBe("-0.00012");
  });

  it("keeps apart values that one double would merge", () => {
    expect(exactNumber("12345678901234567891")).toBe("12345678901234567891");
    expect(exactNumber("12345678901234567892")).toBe("12345678901234567892");
    expect(exactNumber("9007199254740993")).not.toBe(exactNumber("9007199254740992"));
    expect(exactNumber("0.1000000000000000001")).not.toBe(exactNumber("0.1"));
    expect(exactNumber("1e400")).toBe("1e+400");
    expect(exactNumber("1e-400")).toBe("1e-400");
  });

  it("handles exponents too long for a double exactly", () => {
    expect(exactNumber("1e99999999999999999999")).toBe("1e+99999999999999999999");
    expect(exactNumber("10e99999999999999999998")).toBe("1e+99999999999999999999");
    expect(exactNumber("1e99999999999999999998")).not.toBe(exactNumber("1e99999999999999999999"));
  });

  it("is String(x) for a double's own spelling, so 17 and \"17\" stay one key", () => {
    const specials = [17, -17, 0.1, 1e21, 1e-7, 123e-20, 5e-324, Number.MAX_VALUE, 2 ** 53, 1234567.125, 1e20, 0.000001];
    // A fixed generator, so a failure names the same doubles every time.
    let s = 12345;
    const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const random = Array.from({ length: 2000 }, () => (next() - 0.5) * 10 ** Math.floor(next() * 60 - 30));
    for (const x of [...specials, ...random]) expect(exactNumber(String(x)), String(x)).toBe(String(x));
  });
});
