import type { Parsed } from "./manifest.js";

const UNITS = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 } as const;

/**
 * Parses a size for `--max-size`: a number of bytes, or a number with K, M, G or T. Units are
 * 1024-based whatever the spelling ("10G", "10GB" and "10GiB" are all 10 × 2^30 bytes), because what
 * a user compares it with (`du -h`, `ls -lh`) counts that way. Fractions are allowed ("1.5G").
 */
export function parseSize(text: string): Parsed<number> {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) return { ok: false, error: `'${text}' is not a size (expected e.g. 500M, 10G, 2T or a number of bytes)` };
  const unit = (m[2] ?? "").toLowerCase() as keyof typeof UNITS;
  if (unit === "" && m[3] !== undefined && m[3].toLowerCase() !== "b") {
    return { ok: false, error: `'${text}' is not a size (a unit needs a K, M, G or T)` };
  }
  const bytes = Math.floor(Number(m[1]) * UNITS[unit]);
  if (!Number.isSafeInteger(bytes)) return { ok: false, error: `'${text}' is too large` };
  return { ok: true, value: bytes };
}

/** Bytes in the largest 1024-based unit that keeps the number at least 1, e.g. "1.5 GiB". */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"] as const;
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))} ${units[i]}`;
}
