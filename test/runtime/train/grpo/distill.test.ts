import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Canon, IrNode, NodeId } from "../../../../src/ir/ir.js";
import type { RunnerContext } from "../../../../runtime/runner.js";
import { createPart } from "../../../../runtime/train/models/index.js";
import { Model, saveModel } from "../../../../runtime/train/stages/artifact.js";
import { runDistill } from "../../../../runtime/train/stages/distill.js";
import { cleanup, tempDir } from "../../../engine/helpers.js";

/** distill over a lone, untrained LM teacher (its greedy output repeats itself, which the penalty then shows). */
let dir: string;
let teacherFiles: Map<string, string>;

const node = (params: Record<string, Canon>): IrNode => ({ id: "d" as NodeId, kind: "data", op: "distill", name: "cot", params, inputs: ["rows" as NodeId, "teacher" as NodeId] }) as unknown as IrNode;

function ctx(scratch: string): RunnerContext {
  mkdirSync(scratch, { recursive: true });
  const nodes = new Map<string, unknown>([["rows", { op: "jsonl", params: { path: path.join(dir, "rows.jsonl") } }], ["teacher", { op: "pretrain", name: "teacher" }]]);
  return {
    ir: { nodes, pipeline: { seed: 5 } }, cwd: dir, scratch, signal: new AbortController().signal, backend: "cpu",
    outputs: (id: NodeId) => (id === "teacher" ? teacherFiles : new Map()), emit: () => {},
  } as unknown as RunnerContext;
}

const rowsOut = (f: string) => readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const teacher = { stage: "teacher" };

beforeAll(async () => {
  dir = tempDir("distill");
  writeFileSync(path.join(dir, "rows.jsonl"), [1, 3, 1, 3].map((p, i) => JSON.stringify({ id: `r${i}`, question: "d+1?", answer: "2", p })).join("\n") + "\n");
  // Rejects a row the first time it sees its id, accepts it after: state kept in a file.
  writeFileSync(path.join(dir, "judge.mjs"), `import { existsSync, readFileSync, writeFileSync } from "node:fs";
const seen = new Set(existsSync("seen.json") ? JSON.parse(readFileSync("seen.json", "utf8")) : []);
const out = readFileSync(0, "utf8").split("\\n").filter(Boolean).map((l) => { const r = JSON.parse(l); const ok = seen.has(r.id) ? 1 : 0; seen.add(r.id); return JSON.stringify({ score: ok }); });
writeFileSync("seen.json", JSON.stringify([...seen]));
process.stdout.write(out.join("\\n") + "\\n");
`);
  const m = new Model([{ name: "lm", part: createPart("decoder_lm", { width: 16, layers: 1, heads: 2, context: 64 }, 11), frozen: false }]);
  const tdir = path.join(dir, "teacher");
  mkdirSync(tdir);
  teacherFiles = new Map((await saveModel(tdir, m, { stage: "teacher", step: 0, fingerprint: "", backend: "cpu" })).map((f) => [f.name, f.path]));
  m.dispose();
}, 60_000);

afterAll(() => cleanup(dir));

const repeats = (s: string) => s.length - new Set(s).size;

describe("distill", () => {
  it("without a judge: one accepted cot per row, first attempt; a larger penalty repeats less", async () => {
    const r = await runDistill(node({ teacher, retries: 2, max_new_tokens: 40, repetition_penalty: { op: "field", name: "p" } }), ctx(path.join(dir, "a")));
    const rows = rowsOut(r.outputs[0]!.path);
    expect(rows.map((x) => x["id"])).toEqual(["r0", "r1", "r2", "r3"]);
    expect(rows.every((x) => typeof x["cot"] === "string" && x["cot_accepted"] === true && x["cot_attempts"] === 1)).toBe(true);
    const low = repeats(String(rows[0]!["cot"]));
    const high = repeats(String(rows[1]!["cot"]));
    console.log(`repeated characters: penalty 1 → ${low}, penalty 3 → ${high}`);
    expect(high).toBeLessThan(low);
    // Greedy first attempts: the same prompt and penalty give the same chain.
    expect(rows[2]!["cot"]).toBe(rows[0]!["cot"]);
  });

  it("a chain the judge rejects is generated again; the accepted one is kept", async () => {
    const judge: Canon = { call: "command", args: { argv: ["node", "judge.mjs"] } };
    const r = await runDistill(node({ teacher, judge, retries: 1, max_new_tokens: 20 }), ctx(path.join(dir, "b")));
    const rows = rowsOut(r.outputs[0]!.path);
    expect(rows.map((x) => [x["cot_accepted"], x["cot_attempts"]])).toEqual(rows.map(() => [true, 2]));
  });

  it("with no retries left, the last attempt stays, marked cot_accepted: false", async () => {
    writeFileSync(path.join(dir, "seen.json"), "[]");
    const judge: Canon = { call: "command", args: { argv: ["node", "judge.mjs"] } };
    const r = await runDistill(node({ teacher, judge, retries: 0, max_new_tokens: 20 }), ctx(path.join(dir, "c")));
    const rows = rowsOut(r.outputs[0]!.path);
    expect(rows.every((x) => x["cot_accepted"] === false && typeof x["cot"] === "string")).toBe(true);
    expect(r.warnings?.length).toBe(1);
  });
});
