import path from "node:path";
import { commandBase, samePath } from "../ir/paths.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Expr, Field } from "../syntax/ast.js";
import { COMPLETION_FIELDS, DISTILL_FIELDS, EVAL_FIELDS } from "./builtins.js";
import type { Checker } from "./checker.js";
import { conform, conformTy } from "./conform.js";
import { evalExpr } from "./evaluate.js";
import { article, fieldSuggestion, STAGE_KINDS, type StageKindSpec } from "./schema.js";
import type { FieldWithOrigin, Instance, Scope, StageItem } from "./scope.js";
import { asDataset } from "./transforms.js";
import { UNKNOWN, type DatasetInfo, type ModelInfo, type Ty } from "./types.js";

/** A stage's fields after `defaults` are merged in; the stage's own fields win. */
export function effectiveFields(c: { readonly defaults: ReadonlyMap<string, { readonly fields: readonly Field[] }> }, item: StageItem): FieldWithOrigin[] {
  // Built field by field: an object spread per field was a tenth of checking a large pipeline.
  const withOrigin = (f: Field, fromDefaults: boolean): FieldWithOrigin => ({ name: f.name, nameSpan: f.nameSpan, value: f.value, span: f.span, fromDefaults });
  const out = item.fields.map((f) => withOrigin(f, false));
  const defaults = c.defaults.get(item.stageKind)?.fields;
  if (defaults) for (const d of defaults) if (!item.fields.some((f) => f.name === d.name)) out.push(withOrigin(d, true));
  return out;
}

function partNames(e: Expr): { name: string; span: Expr["span"] }[] {
  if (e.kind !== "list") return [];
  return e.items.flatMap((i) => (i.kind === "name" ? [{ name: i.name, span: i.span }] : i.kind === "template" ? [{ name: i.name.raw, span: i.span }] : []));
}

/** Checks a stage's fields and returns what it yields. */
export function checkStage(c: Checker, inst: Instance, item: StageItem): Ty {
  const scope: Scope = { env: inst.env, file: inst.file };
  const spec = STAGE_KINDS[item.stageKind];
  if (!spec) {
    c.report("SC2006", item.kindSpan, `unknown stage kind '${item.stageKind}'`, {
      suggestion: didYouMean(item.stageKind, Object.keys(STAGE_KINDS)) ?? `stage kinds: ${Object.keys(STAGE_KINDS).join(", ")}`,
    });
    for (const f of item.fields) evalExpr(c, f.value, scope);
    return UNKNOWN;
  }
  const seen = new Map<string, FieldWithOrigin>();
  for (const f of effectiveFields(c, item)) {
    const first = seen.get(f.name);
    if (first) {
      c.report("SC2010", f.nameSpan, `'${f.name}' is set twice in stage '${inst.name}'`, { related: [{ span: first.nameSpan, message: "first set here" }] });
      continue;
    }
    if (!spec.fields[f.name]) {
      c.report("SC2007", f.nameSpan, `${article(item.stageKind)} ${item.stageKind} stage has no field '${f.name}'`, {
        suggestion: fieldSuggestion(f.name, Object.keys(spec.fields)),
      });
      // A defaults block may hold fields for other kinds' use; only the stage's own are reported.
      continue;
    }
    seen.set(f.name, f);
  }
  requiredFields(c, inst, item, spec, seen);
  const values = new Map<string, Ty>();
  // The model and data come first: other fields (train, reward, penalty) are checked against them.
  const order = ["from", "model", "data", ...[...seen.keys()].filter((k) => k !== "from" && k !== "model" && k !== "data")];
  for (const name of order) {
    const f = seen.get(name);
    const fs = spec.fields[name];
    if (!f || !fs) continue;
    const label = `${name}`;
    const fscope: Scope = f.fromDefaults ? { env: new Map(), file: f.span.file } : scope;
    if (name === "train") values.set(name, checkTrain(c, f, values, fscope, inst));
    else if (name === "reward") values.set(name, checkReward(c, f.value, values.get("data"), fscope));
    else if (name === "data") values.set(name, dataField(c, f.value, fscope));
    else if (fs.expect.is === "row-number") {
      const data = values.get("data");
      const fields = data?.t === "dataset" ? data.data.fields : undefined;
      values.set(name, conformTy(c, evalExpr(c, f.value, { ...fscope, row: { fields, what: "rows of this stage's data" } }), f.value, fs.expect, label, fscope));
    } else values.set(name, conform(c, f.value, fs.expect, label, fscope));
  }
  if (item.stageKind === "command") claimOutputs(c, inst, values, seen.get("outputs"));
  return yieldOf(c, inst, item, spec, values, seen, scope);
}

/**
 * Each file has one writer: a second command declaring an output the first declares would leave
 * whichever ran last in the work tree, and its readers could not tell which they read.
 */
function claimOutputs(c: Checker, inst: Instance, values: Map<string, Ty>, field: FieldWithOrigin | undefined): void {
  const outs = values.get("outputs");
  if (!field || outs?.t !== "list") return;
  const cwd = values.get("cwd");
  const cwdText = cwd?.t === "string" && cwd.value !== undefined ? cwd.value : ".";
  const base = commandBase(inst.file, cwdText);
  const ins = values.get("inputs");
  const inputFiles = ins?.t === "list" ? ins.items.flatMap((i) => (i.t === "string" && i.value !== undefined ? [{ text: i.value, key: samePath(path.join(base, i.value)) }] : [])) : [];
  for (const o of outs.items) {
    if (o.t !== "string" || o.value === undefined) continue;
    // Outputs are removed before their command runs: one outside the project could be anyone's file.
    const rel = path.normalize(path.join(cwdText, o.value));
    if (path.isAbsolute(o.value) || path.isAbsolute(cwdText) || rel === "." || rel === ".." || rel.startsWith("../")) {
      c.report("SC2016", field.value.span, `output '${o.value}'${cwdText !== "." ? ` (in cwd '${cwdText}')` : ""} is not a file inside the pipeline's directory`, {
        suggestion: "outputs are files under the directory of the pipeline file, named relative to it (or to the stage's cwd)",
      });
      continue;
    }
    const key = samePath(path.join(base, o.value));
    const source = c.files.find((f) => samePath(f.path) === key);
    if (source) {
      c.report("SC2016", field.value.span, `output '${o.value}' is the pipeline file ${source.path}: a command's outputs are removed before it runs`, {
        suggestion: "write the command's result to a file of its own",
      });
      continue;
    }
    // An output is removed before its command runs, so the command could never read it as an input
    // (and a directory input that holds it would change with every run).
    const read = inputFiles.find((i) => i.key === key || key.startsWith(`${i.key}/`) || i.key.startsWith(`${key}/`));
    if (read) {
      c.report("SC2017", field.value.span, `'${o.value}' is an output of '${inst.name}', and ${read.key === key ? "also one of its inputs" : `its input '${read.text}' ${key.startsWith(`${read.key}/`) ? "holds it" : "is inside it"}`}: outputs are removed before the command runs`, {
        suggestion: "write the result to a new file, and read the old one as the input",
      });
      continue;
    }
    const first = c.outputWriters.get(key);
    if (!first) {
      c.outputWriters.set(key, { stage: inst.name, span: field.value.span });
      continue;
    }
    if (first.stage === inst.name) continue;
    c.report("SC2015", field.value.span, `'${o.value}' is also an output of stage '${first.stage}': a file has one writer`, {
      related: [{ span: first.span, message: `'${first.stage}' declares it here` }],
      suggestion: inst.env.size ? `inside a loop, put the round in the name: "${o.value.replace(/(\.[^./]*)?$/, "_{" + [...inst.env.keys()][0] + "}$1")}"` : "give each stage its own output file",
    });
  }
}

function dataField(c: Checker, e: Expr, scope: Scope): Ty {
  const d = asDataset(c, evalExpr(c, e, scope), e, scope, "data");
  return d ? { t: "dataset", data: d } : UNKNOWN;
}

function requiredFields(c: Checker, inst: Instance, item: StageItem, spec: StageKindSpec, seen: Map<string, FieldWithOrigin>): void {
  for (const [name, fs] of Object.entries(spec.fields)) {
    if (fs.required && !seen.has(name)) {
      c.report("SC2104", inst.nameSpan, `stage '${inst.name}' (${item.stageKind}) needs '${name}': ${fs.doc}`, {
        suggestion: `add ${name} = ... to the stage${["lr", "batch"].includes(name) ? ` or to defaults ${item.stageKind}` : ""}`,
      });
    }
  }
  for (const group of spec.oneOf ?? []) {
    if (!group.some((g) => seen.has(g))) {
      c.report("SC2104", inst.nameSpan, `stage '${inst.name}' (${item.stageKind}) needs one of ${group.map((g) => `'${g}'`).join(" or ")}`);
    }
  }
  for (const group of spec.exclusive ?? []) {
    const given = group.filter((g) => seen.has(g));
    if (given.length > 1) {
      const second = seen.get(given[1]!)!;
      const first = seen.get(given[0]!)!;
      c.report("SC2107", second.nameSpan, `'${given[0]}' and '${given[1]}' cannot both be set in stage '${inst.name}'`, {
        related: [{ span: first.nameSpan, message: `'${given[0]}' is set here` }],
      });
    }
  }
}

function modelOf(values: Map<string, Ty>): ModelInfo | undefined {
  const m = values.get("from") ?? values.get("model");
  return m?.t === "model" ? m.model : undefined;
}

function checkTrain(c: Checker, f: FieldWithOrigin, values: Map<string, Ty>, scope: Scope, inst: Instance): Ty {
  const ty = conform(c, f.value, { is: "parts" }, "train", scope);
  const model = modelOf(values);
  if (!model || model.parts.length === 0 || ty.t === "unknown") return ty;
  for (const p of partNames(f.value)) {
    if (!c.symbols.has(p.name)) continue; // already reported as an unknown name
    if (!model.parts.includes(p.name)) {
      c.reportIn(scope, "SC2011", p.span, `stage '${inst.name}' cannot train '${p.name}': its model is made of ${model.parts.join(" >> ")}`, {
        suggestion: didYouMean(p.name, model.parts),
      });
    } else if (model.frozen.has(p.name)) {
      c.reportIn(scope, "SC2112", p.span, `'${p.name}' is declared frozen, so it cannot be trained`, { suggestion: "remove it from train, or remove 'frozen' from its declaration" });
    }
  }
  return ty;
}

function checkReward(c: Checker, e: Expr, data: Ty | undefined, scope: Scope): Ty {
  const fields = data?.t === "dataset" && data.data.fields ? new Set([...data.data.fields, ...COMPLETION_FIELDS]) : undefined;
  const ty = evalExpr(c, e, { ...scope, row: { fields, what: "rows of this stage's data (with its completions)" } });
  return conformTy(c, ty, e, { is: "reward" }, "reward", scope);
}

function yieldOf(c: Checker, inst: Instance, item: StageItem, spec: StageKindSpec, values: Map<string, Ty>, seen: Map<string, FieldWithOrigin>, scope: Scope): Ty {
  const data = values.get("data");
  const dataInfo: DatasetInfo | undefined = data?.t === "dataset" ? data.data : undefined;
  switch (spec.yields) {
    case "model": {
      let model = modelOf(values);
      if (item.stageKind === "swap") model = swapped(c, inst, values, seen, scope);
      // An unknown model (after an error upstream) stays unknown, so the mistake is reported once.
      if (!model || model.parts.length === 0) return UNKNOWN;
      if ((item.stageKind === "sft" || item.stageKind === "grpo") && !seen.has("train") && model.parts.every((p) => model!.frozen.has(p))) {
        c.report("SC2112", inst.nameSpan, `stage '${inst.name}' has nothing to train: every part of its model (${model.parts.join(" >> ")}) is frozen`, { suggestion: "name the trainable part with train = [...], and do not declare it frozen" });
      }
      return { t: "model", model, stage: inst.name };
    }
    case "eval":
      return { t: "eval", stage: inst.name, data: { fields: dataInfo?.fields ? new Set([...dataInfo.fields, ...EVAL_FIELDS]) : undefined, ...(dataInfo?.rows !== undefined ? { rows: dataInfo.rows } : {}), label: `the failures of '${inst.name}'` } };
    case "dataset": {
      const added = item.stageKind === "distill" ? DISTILL_FIELDS : scoreFields(seen);
      return { t: "dataset", data: { fields: dataInfo?.fields ? new Set([...dataInfo.fields, ...added]) : undefined, ...(dataInfo?.rows !== undefined ? { rows: dataInfo.rows } : {}), label: `stage '${inst.name}'` } };
    }
    case "files":
      return { t: "files", stage: inst.name };
  }
}

function scoreFields(seen: Map<string, FieldWithOrigin>): string[] {
  const s = seen.get("scores")?.value;
  return s?.kind === "record" ? s.entries.map((e) => e.name) : [];
}

function swapped(c: Checker, inst: Instance, values: Map<string, Ty>, seen: Map<string, FieldWithOrigin>, scope: Scope): ModelInfo | undefined {
  const from = values.get("from");
  const rep = values.get("replace");
  if (from?.t !== "model" || rep?.t !== "replace") return from?.t === "model" ? from.model : undefined;
  const model = from.model;
  const span = seen.get("replace")?.value.span ?? inst.nameSpan;
  if (rep.from === undefined || !model.parts.includes(rep.from)) {
    c.reportIn(scope, "SC2011", span, `stage '${inst.name}' cannot replace '${rep.from ?? "this"}': the model of '${from.stage}' is made of ${model.parts.join(" >> ")}`, {
      suggestion: rep.from ? didYouMean(rep.from, model.parts) : undefined,
    });
    return model;
  }
  if (rep.to.t !== "model") {
    if (rep.to.t !== "unknown") c.reportIn(scope, "SC2101", span, "what a part is replaced with must be a model");
    return model;
  }
  const incoming = rep.to.model;
  const idx = model.parts.indexOf(rep.from);
  const before = model.partWidths?.get(model.parts[idx - 1] ?? "")?.out;
  const after = model.partWidths?.get(model.parts[idx + 1] ?? "")?.in;
  if (before !== undefined && incoming.inWidth !== undefined && before !== incoming.inWidth) {
    c.reportIn(scope, "SC2113", span, `the replacement takes inputs of width ${incoming.inWidth}, but '${model.parts[idx - 1]}' before it outputs width ${before}`, {
      suggestion: "a replacement must have the same input width as the part it replaces, or the adapter must be retrained for it",
    });
  } else if (after !== undefined && incoming.width !== undefined && after !== incoming.width) {
    c.reportIn(scope, "SC2113", span, `the replacement outputs width ${incoming.width}, but '${model.parts[idx + 1]}' after it takes width ${after}`);
  }
  const newParts = incoming.parts.length ? incoming.parts : [rep.from];
  const parts = [...model.parts.slice(0, idx), ...newParts, ...model.parts.slice(idx + 1)];
  const frozen = new Set([...model.frozen].filter((p) => p !== rep.from));
  for (const p of incoming.frozen) frozen.add(p);
  const partWidths = new Map([...(model.partWidths ?? []), ...(incoming.partWidths ?? [])]);
  return { ...model, parts, frozen, partWidths, ...(idx === model.parts.length - 1 && incoming.width !== undefined ? { width: incoming.width } : {}) };
}
