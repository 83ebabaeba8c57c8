import * as crypto from "node:crypto";
import { canonicalJson } from "../cache/digest.js";
import type { Canon } from "./ir.js";

export { canonicalJson };

// crypto.hash (Node 20.12 and later) hashes in one call, without a Hash object: a plan hashes one
// record per node, and on large pipelines the object's set-up was most of the cost.
const oneShot = typeof crypto.hash === "function" ? crypto.hash : undefined;

export function sha256Hex(text: string): string {
  return oneShot ? oneShot("sha256", text, "hex") : crypto.createHash("sha256").update(text).digest("hex");
}

export function hashCanon(value: Canon | Record<string, unknown>): string {
  return sha256Hex(canonicalJson(value));
}
