import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignWeights, decodeSafetensors, encodeSafetensors, loadWeights, saveWeights } from "../../../runtime/train/safetensors.js";
import { Mlp } from "../../../runtime/train/models/index.js";
import { T, rand, use } from "./helpers.js";

/** A python3 that can import torch, if this machine has one (Debian's python3-torch). */
const torchPython = ["python3", "/usr/bin/python3"].find((py) => spawnSync(py, ["-c", "import torch"]).status === 0);

let dir: string;
beforeAll(async () => {
  await use("cpu");
  dir = await mkdtemp(path.join(tmpdir(), "stagecraft-st-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const meta = { stage: "sft_adapter", step: 40, fingerprint: "sha256:abc", backend: "wasm" };

/** A reader written from the published format alone, sharing no code with the module under test. */
function parseByTheSpec(buf: Buffer): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; meta: Record<string, string>; tensor(name: string): number[] } {
  const n = Number(buf.readBigUInt64LE(0));
  const raw = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<string, unknown>;
  const { __metadata__, ...header } = raw;
  const start = 8 + n;
  return {
    header: header as never,
    meta: __metadata__ as Record<string, string>,
    tensor(name) {
      const [b, e] = (header as Record<string, { data_offsets: [number, number] }>)[name]!.data_offsets;
      return Array.from({ length: (e - b) / 4 }, (_, i) => buf.readFloatLE(start + b + 4 * i));
    },
  };
}

describe("safetensors", () => {
  it("writes a file a PyTorch user can read by the published format", async () => {
    const mlp = new Mlp({ in: 3, out: 2, hidden: 4 }, 5);
    const named = mlp.params.entries().map(([n, v]) => [`adapter.${n}`, v] as const);
    const file = path.join(dir, "adapter.safetensors");
    await saveWeights(file, named, meta);
    const buf = await readFile(file);
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0); // data starts 8-byte aligned, as the reference writer pads it
    const got = parseByTheSpec(buf);
    expect(got.meta).toEqual({ stage: "sft_adapter", step: "40", fingerprint: "sha256:abc", backend: "wasm" });
    expect(Object.keys(got.header).sort()).toEqual(named.map(([k]) => k).sort());
    let end = 0;
    for (const [name, v] of named) {
      const h = got.header[name]!;
      expect(h.dtype).toBe("F32");
      expect(h.shape).toEqual(v.shape);
      expect(got.tensor(name)).toEqual(Array.from(v.dataSync()));
      end = Math.max(end, h.data_offsets[1]);
    }
    expect(buf.length).toBe(8 + n + end);
    mlp.params.dispose();
  });

  it("round-trips weights into a freshly built model", async () => {
    const a = new Mlp({ in: 3, out: 2, hidden: 4 }, 5);
    const b = new Mlp({ in: 3, out: 2, hidden: 4 }, 6);
    const file = path.join(dir, "rt.safetensors");
    await saveWeights(file, a.params.entries(), meta);
    const loaded = await loadWeights(file);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.value.metadata["backend"]).toBe("wasm");
    expect(assignWeights(b.params.entries(), loaded.value)).toEqual({ ok: true, value: 4 });
    b.params.variables().forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(a.params.variables()[i]!.dataSync())));
    const wrong = new Mlp({ in: 3, out: 2, hidden: 5 }, 6);
    const r = assignWeights(wrong.params.entries(), loaded.value);
    expect(r.ok ? "ok" : r.error).toMatch(/'layers.0.w' is \[4, 3\], the model expects \[5, 3\]/);
    [a, b, wrong].forEach((m) => m.params.dispose());
  });

  it("gives the same bytes for the same weights, whatever the order given", () => {
    const t = [
      { name: "b", shape: [2], data: new Float32Array([1, 2]) },
      { name: "a", shape: [1, 1], data: new Float32Array([-0.5]) },
      { name: "empty", shape: [0, 3], data: new Float32Array(0) },
    ];
    const x = encodeSafetensors(t, meta);
    expect(Buffer.from(encodeSafetensors([...t].reverse(), meta)).equals(Buffer.from(x))).toBe(true);
    const d = decodeSafetensors(x);
    expect(d.ok && d.value.tensors.map((z) => [z.name, z.shape, Array.from(z.data)])).toEqual([
      ["a", [1, 1], [-0.5]],
      ["b", [2], [1, 2]],
      ["empty", [0, 3], []],
    ]);
  });

  it("reports malformed files as errors, never throws", () => {
    const good = encodeSafetensors([{ name: "w", shape: [2], data: new Float32Array([1, 2]) }], meta);
    const headerOf = (h: object): Uint8Array => {
      const j = Buffer.from(JSON.stringify(h));
      const out = Buffer.alloc(8 + j.length + 8);
      out.writeBigUInt64LE(BigInt(j.length), 0);
      j.copy(out, 8);
      return out;
    };
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 4), /shorter/],
      [good.subarray(0, 20), /runs past the end/],
      [headerOf({ w: { dtype: "F16", shape: [4], data_offsets: [0, 8] } }), /dtype "F16"/],
      [headerOf({ w: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }), /starts at byte 4, expected 0/],
      [headerOf({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }), /shape needs 12/],
      [headerOf({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }), /data section is 8 bytes, tensors cover 4/],
      [headerOf({ __metadata__: { step: 3 } }), /__metadata__.step is not a string/],
      [(() => { const b = Buffer.from(good); b[8] = 0x7b + 1; return b; })(), /not JSON/],
    ];
    for (const [bytes, msg] of cases) {
      const r = decodeSafetensors(bytes);
      expect(r.ok ? "ok" : r.error).toMatch(msg);
    }
    expect(() => encodeSafetensors([{ name: "w", shape: [3], data: new Float32Array(2) }], meta)).toThrow(/holds 3 values/);
  });

  it("leaves no temporary files behind and reports unreadable paths", async () => {
    const r = await loadWeights(path.join(dir, "missing.safetensors"));
    expect(r.ok ? "ok" : r.error).toMatch(/cannot read/);
    const w = tf.variable(tf.tensor1d([1]));
    await saveWeights(path.join(dir, "one.safetensors"), [["w", w]], meta);
    const { readdir } = await import("node:fs/promises");
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    w.dispose();
  });

  it.skipIf(!torchPython)("loads into torch.nn.Linear layers and gives the same outputs in PyTorch", async () => {
    const mlp = new Mlp({ in: 5, out: 3, hidden: 7 }, 11);
    const file = path.join(dir, "torch.safetensors");
    await saveWeights(file, mlp.params.entries(), meta);
    const x = rand([2, 5], 12);
    const ours = tf.tidy(() => Array.from(mlp.apply(T(x)).dataSync()));
    // a plain reader (json + struct), as a PyTorch user without the safetensors package would write
    const script = `
import json, struct, sys, torch
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
sd = {k: torch.frombuffer(bytearray(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]), dtype=torch.float32).reshape(v["shape"])
      for k, v in h.items() if k != "__metadata__"}
m = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.GELU(), torch.nn.Linear(7, 3))
m.load_state_dict({k.replace("layers.1", "2").replace("layers.0", "0").replace(".w", ".weight").replace(".b", ".bias"): v for k, v in sd.items()})
x = torch.tensor(json.loads(sys.argv[2])).reshape(2, 5)
print(json.dumps(m(x).flatten().tolist()))`;
    const r = spawnSync(torchPython!, ["-c", script, file, JSON.stringify(Array.from(x.data))], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as number[];
    theirs.forEach((v, i) => expect(v).toBeCloseTo(ours[i]!, 5));
    mlp.params.dispose();
  });
});
