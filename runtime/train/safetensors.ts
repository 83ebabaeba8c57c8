import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs-core";

/**
 * Weights as safetensors (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header mapping each tensor name to {dtype, shape, data_offsets} plus a `__metadata__` map of
 * strings, then the raw little-endian data. A PyTorch user loads an adapter trained here with
 * `safetensors.torch.load_file`. Only F32 is written; the writer is deterministic (names sorted,
 * header padded with spaces to 8 bytes), so the same weights give the same bytes.
 */

export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** What every checkpoint records; numerics differ between backends, so the backend is part of it. */
export interface WeightsMetadata {
  readonly stage: string;
  readonly step: number;
  readonly fingerprint: string;
  readonly backend: string;
  readonly [extra: string]: string | number;
}

export interface Decoded {
  readonly tensors: readonly NamedArray[];
  readonly metadata: Readonly<Record<string, string>>;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toLittleEndianBytes(data: Float32Array): Uint8Array {
  if (LITTLE) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  data.forEach((x, i) => dv.setFloat32(i * 4, x, true));
  return out;
}

function fromLittleEndianBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  if (LITTLE) new Uint8Array(out.buffer).set(bytes); // copy: the source may not be 4-byte aligned
  else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  }
  return out;
}

export function encodeSafetensors(tensors: readonly NamedArray[], metadata: Readonly<Record<string, string | number>>): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])) };
  let offset = 0;
  for (const t of sorted) {
    if (t.name === "__metadata__" || t.name in header) throw new Error(`tensor name '${t.name}' is used twice or reserved`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`tensor '${t.name}': shape [${t.shape.join(", ")}] holds ${n} values, data has ${t.data.length}`);
    header[t.name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of sorted) {
    out.set(toLittleEndianBytes(t.data), at);
    at += t.data.length * 4;
  }
  return out;
}

/** Parses a safetensors file; every malformation is an error value naming what is wrong. */
export function decodeSafetensors(bytes: Uint8Array): Result<Decoded> {
  const fail = (error: string): Result<Decoded> => ({ ok: false, error });
  if (bytes.length < 8) return fail("file shorter than its 8-byte header length");
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) return fail(`header length ${n} runs past the end of the file`);
  const dataStart = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, dataStart)).toString("utf8"));
  } catch (e) {
    return fail(`header is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) return fail("header is not a JSON object");
  const metadata: Record<string, string> = {};
  const spans: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (!entry || typeof entry !== "object") return fail("__metadata__ is not an object");
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== "string") return fail(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== "F32") return fail(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; only F32 is read`);
    const shape = e.shape;
    const offs = e.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`tensor '${name}' has a bad shape`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) return fail(`tensor '${name}' has bad data_offsets`);
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4) return fail(`tensor '${name}': offsets span ${end - begin} bytes, shape needs ${count * 4}`);
    spans.push({ name, shape: shape as number[], begin, end });
  }
  // The format requires the tensors to tile the data section exactly: no gaps, no overlaps.
  spans.sort((a, b) => a.begin - b.begin);
  let expect = 0;
  for (const s of spans) {
    if (s.begin !== expect) return fail(`tensor '${s.name}' starts at byte ${s.begin}, expected ${expect}`);
    expect = s.end;
  }
  if (dataStart + expect !== bytes.length) return fail(`data section is ${bytes.length - dataStart} bytes, tensors cover ${expect}`);
  const tensors = spans.map((s) => ({ name: s.name, shape: s.shape, data: fromLittleEndianBytes(bytes.subarray(dataStart + s.begin, dataStart + s.end)) }));
  return { ok: true, value: { tensors, metadata } };
}

/** Writes named tensors and their metadata to `file` (write to a temporary name, then rename). */
export async function saveWeights(file: string, named: readonly (readonly [string, tf.Tensor])[], meta: WeightsMetadata): Promise<void> {
  const tensors = await Promise.all(named.map(async ([name, t]) => ({ name, shape: t.shape, data: Float32Array.from(await t.data()) })));
  const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, encodeSafetensors(tensors, meta));
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

export async function loadWeights(file: string): Promise<Result<Decoded>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    return { ok: false, error: `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const r = decodeSafetensors(bytes);
  return r.ok ? r : { ok: false, error: `${file}: ${r.error}` };
}

/** Assigns decoded tensors to variables by name; every variable must be present with its shape. */
export function assignWeights(vars: readonly (readonly [string, tf.Variable])[], decoded: Decoded): Result<number> {
  const byName = new Map(decoded.tensors.map((t) => [t.name, t]));
  for (const [name, v] of vars) {
    const t = byName.get(name);
    if (!t) return { ok: false, error: `weights have no tensor '${name}'` };
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i]))
      return { ok: false, error: `tensor '${name}' is [${t.shape.join(", ")}], the model expects [${v.shape.join(", ")}]` };
  }
  for (const [name, v] of vars) tf.tidy(() => v.assign(tf.tensor(byName.get(name)!.data, v.shape, "float32")));
  return { ok: true, value: vars.length };
}
