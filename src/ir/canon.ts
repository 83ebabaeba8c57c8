import { createHash } from "node:crypto";
import { canonicalJson } from "../cache/digest.js";
import type { Canon } from "./ir.js";

export { canonicalJson };

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function hashCanon(value: Canon | Record<string, unknown>): string {
  return sha256Hex(canonicalJson(value));
}
