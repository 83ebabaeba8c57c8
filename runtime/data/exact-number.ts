/**
 * A JSON number's exact value as text, for matching keys. Two spellings of the same value
 * (1, 1.0, 1e0, 10e-1) give the same text and different values give different texts, however
 * many digits they have; a double would merge 12345678901234567891 with 12345678901234567892.
 * The layout is the one Number.prototype.toString uses, so wherever the text is the double's own
 * shortest spelling the result is exactly `String(Number(text))`: the key of 17 stays "17", which is
 * what lets a number match its decimal string.
 */

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/;
/** An integer of up to 21 digits is already in the layout below: most ids, and quick to check. */
const PLAIN_INTEGER = /^-?[1-9]\d{0,20}$/;

/** Exponents this long are shifted as BigInts: a double would merge 1e99999999999999999 and its neighbours. */
const LONG_EXPONENT = 15;

export function exactNumber(text: string): string {
  if (PLAIN_INTEGER.test(text)) return text;
  const m = NUMBER.exec(text);
  if (!m) throw new Error(`internal: ${JSON.stringify(text)} is not a JSON number`);
  const [, sign, whole = "", fraction = "", exponent = "0"] = m;
  const all = whole + fraction;
  const lead = leadingZeros(all);
  const digits = all.slice(lead).replace(/0+$/, "");
  // -0 is 0, as String(-0) says.
  if (digits === "") return "0";
  // The value is 0.<digits> × 10^point.
  const shift = whole.length - lead;
  if (exponent.replace(/^[-+]?0*/, "").length > LONG_EXPONENT) return sign + scientific(digits, (BigInt(shift) + BigInt(exponent)).toString());
  const point = shift + Number(exponent);
  return sign + layout(digits, point);
}

/** Number::toString's layout of 0.<digits> × 10^n: plain from 1e-7 up to 1e21, scientific outside. */
function layout(digits: string, n: number): string {
  const k = digits.length;
  if (k <= n && n <= 21) return digits + "0".repeat(n - k);
  if (0 < n && n <= 21) return `${digits.slice(0, n)}.${digits.slice(n)}`;
  if (-6 < n && n <= 0) return `0.${"0".repeat(-n)}${digits}`;
  return scientific(digits, String(n));
}

/** d.ddd e±(n-1), with n given as decimal text so it may be any size. */
function scientific(digits: string, n: string): string {
  const e = BigInt(n) - 1n;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mantissa}e${e < 0n ? "-" : "+"}${e < 0n ? -e : e}`;
}

function leadingZeros(s: string): number {
  let i = 0;
  while (s.charCodeAt(i) === 0x30) i++;
  return i;
}
