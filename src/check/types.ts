/** Static types of values in a pipeline file, as the checker infers them. */

export type Unit = "count" | "ratio";

export interface ModelInfo {
  /** Declared model names this model is made of, in order (a composition has several). */
  readonly parts: readonly string[];
  /** Parts declared `frozen`. */
  readonly frozen: ReadonlySet<string>;
  /** Each part's input and output widths, where known, so a swap can check the new part fits. */
  readonly partWidths?: ReadonlyMap<string, { readonly in?: number; readonly out?: number }>;
  /** Width of the features this model outputs (what `.width` reads). */
  readonly width?: number;
  /** Width of the embeddings it takes in, when it takes embeddings (an LM, an adapter). */
  readonly inWidth?: number;
  readonly params?: number;
}

export interface DatasetInfo {
  /** Row fields known to exist; `undefined` when the source does not declare its fields. */
  readonly fields: ReadonlySet<string> | undefined;
  /** Upper bound on rows, when known. */
  readonly rows?: number;
  /** How to name these rows in a message: "dataset 'vl'". */
  readonly label?: string;
}

export type StageYield = "model" | "dataset" | "eval" | "files";

export type Ty =
  | { readonly t: "number"; readonly value?: number; readonly unit?: Unit; readonly integer?: boolean }
  | { readonly t: "string"; readonly value?: string }
  | { readonly t: "bool"; readonly value?: boolean }
  | { readonly t: "regex" }
  | { readonly t: "list"; readonly items: readonly Ty[] }
  | { readonly t: "record"; readonly entries: ReadonlyMap<string, Ty> }
  | { readonly t: "model"; readonly model: ModelInfo; readonly stage?: string }
  | { readonly t: "dataset"; readonly data: DatasetInfo }
  | { readonly t: "scorer"; readonly outputs: readonly string[] | undefined }
  | { readonly t: "schedule" }
  | { readonly t: "reward"; readonly of: "number" | "bool" }
  | { readonly t: "replace"; readonly from: string | undefined; readonly to: Ty }
  | { readonly t: "eval"; readonly stage: string; readonly data: DatasetInfo }
  | { readonly t: "files"; readonly stage: string }
  /** After an error: accepted everywhere so one mistake is reported once. */
  | { readonly t: "unknown" };

export type TyTag = Ty["t"];

export const UNKNOWN: Ty = { t: "unknown" };

export function describeTy(ty: Ty): string {
  switch (ty.t) {
    case "number": return ty.value !== undefined ? `the number ${formatNumber(ty.value)}` : "a number";
    case "string": return ty.value !== undefined ? `the string "${ty.value}"` : "a string";
    case "bool": return "a boolean";
    case "regex": return "a regular expression";
    case "list": return "a list";
    case "record": return "a record";
    case "model": return ty.stage ? `the model trained by stage '${ty.stage}'` : "a model";
    case "dataset": return "a dataset";
    case "scorer": return "a scorer";
    case "schedule": return "a learning-rate schedule";
    case "reward": return "a reward";
    case "replace": return "a replacement (a with b)";
    case "eval": return `the results of eval stage '${ty.stage}'`;
    case "files": return `the files of command stage '${ty.stage}'`;
    case "unknown": return "an unknown value";
  }
}

/** Numbers as a researcher writes them: 2M, 16K, 2e-4. */
export function formatNumber(n: number): string {
  if (n !== 0 && Math.abs(n) < 1e-3) return n.toExponential().replace(/\.?0+e/, "e").replace("e-", "e-");
  if (Number.isInteger(n)) {
    for (const [s, m] of [["B", 1e9], ["M", 1e6], ["K", 1e3]] as const) if (n >= m && n % (m / 10) === 0) return `${n / m}${s}`;
    return String(n);
  }
  return String(n);
}
