import type { Canon } from "./ir.js";

/**
 * Reading canonical values as lowering left them: the planner, the runners and the training stages
 * all take params apart with these, so a missing or mistyped value reads the same everywhere.
 */
export type CanonRecord = Readonly<Record<string, Canon>>;

/** A record, or an empty one for anything else. */
export const obj = (v: Canon | undefined): CanonRecord => (v && typeof v === "object" && !Array.isArray(v) ? (v as CanonRecord) : {});
/** A number, or `d`. */
export const num = (v: Canon | undefined, d: number): number => (typeof v === "number" ? v : d);
/** A number, or undefined. */
export const numOr = (v: Canon | undefined): number | undefined => (typeof v === "number" ? v : undefined);
/** A string, or `d`. */
export const str = (v: Canon | undefined, d = ""): string => (typeof v === "string" ? v : d);
