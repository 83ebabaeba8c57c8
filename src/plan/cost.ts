import type { Canon, Ir, IrNode, NodeId } from "../ir/ir.js";
import { numOr, obj } from "../ir/read.js";

/**
 * Cost estimates by the standard formulas: a forward pass is 2·N FLOPs per token; training every
 * weight 6·N; training only an adapter in front of a frozen LLM still back-propagates through the
 * LLM's activations, 4·N; generation 2·N per generated token (times the group size for GRPO).
 */
export interface Cost {
  readonly rows?: number;
  readonly tokens?: number;
  readonly flops?: number;
  readonly gpuHours?: number;
  /** Model parameters the node runs (for training and generation). */
  readonly params?: number;
  /** Optimizer steps of a training stage. */
  readonly steps?: number;
  /** For models small enough for the built-in runtime: a rough wall-time estimate on this machine. */
  readonly localSeconds?: number;
}

/**
 * Effective FLOP/s of the built-in runtime on one CPU core (wasm with SIMD, after its matMul fix);
 * small models run far below peak, so this is deliberately modest. Only for rough local estimates.
 */
const LOCAL_FLOPS = 5e9;
/** Models above this size are not for the built-in runtime: no local estimate. */
const LOCAL_MAX_PARAMS = 1e8;

/** Peak dense bf16 FLOP/s per GPU, for the GPU types a cluster block names. */
const PEAK: ReadonlyArray<[RegExp, number]> = [
  [/B200/i, 2.25e15], [/H200|H100/i, 0.989e15], [/A100/i, 0.312e15], [/L40S/i, 0.362e15], [/A10G?/i, 0.125e15], [/V100/i, 0.125e15],
];

export function peakFlops(ir: Ir): number | undefined {
  const c = ir.pipeline.cluster;
  if (c?.peakTflops) return c.peakTflops * 1e12;
  return PEAK.find(([re]) => re.test(c?.gpu ?? ""))?.[1];
}


export class CostModel {
  private readonly rows = new Map<NodeId, number | undefined>();
  private readonly tpr = new Map<NodeId, number | undefined>();
  private readonly modelN = new Map<NodeId, number | undefined>();

  constructor(private readonly ir: Ir) {}

  /** Parameters of a model value: declared parts, compositions, and the models stages produce. */
  params(v: Canon | undefined): number | undefined {
    const o = obj(v);
    if (typeof o["model"] === "string") return this.ir.modelParams.get(o["model"]);
    if (Array.isArray(o["compose"])) {
      const ps = (o["compose"] as Canon[]).map((x) => this.params(x));
      return ps.every((p) => p !== undefined) ? ps.reduce((a, b) => a! + b!, 0) : undefined;
    }
    if (typeof o["stage"] === "string") return this.modelN.get(o["stage"] as NodeId);
    return undefined;
  }

  estimate(node: IrNode): Cost {
    const p = obj(node.params);
    const input = node.inputs[0];
    const inRows = input !== undefined ? this.rows.get(input) : undefined;
    const inTpr = input !== undefined ? this.tpr.get(input) : undefined;
    if (node.kind === "data") {
      const rows = this.dataRows(node, p, inRows);
      this.rows.set(node.id, rows);
      this.tpr.set(node.id, node.estimate?.tokensPerRow ?? inTpr);
      if (node.op === "distill") {
        const n = this.params(p["teacher"]);
        const gen = numOr(p["max_new_tokens"]) ?? 256;
        return this.withFlops({ ...(rows !== undefined ? { rows } : {}), ...(n !== undefined ? { params: n } : {}) }, n !== undefined && rows !== undefined ? 2 * n * rows * gen : undefined, rows !== undefined ? rows * gen : undefined);
      }
      return rows !== undefined ? { rows } : {};
    }
    return this.stageCost(node, p);
  }

  private dataRows(node: IrNode, p: Record<string, Canon>, inRows: number | undefined): number | undefined {
    const n = numOr(p["n"]);
    const frac = numOr(p["fraction"]);
    switch (node.op) {
      case "jsonl":
      case "synthetic":
        return node.estimate?.rows;
      case "take":
      case "top":
      case "sample":
        return n !== undefined ? (inRows !== undefined ? Math.min(n, inRows) : n) : frac !== undefined && inRows !== undefined ? Math.floor(inRows * frac) : inRows;
      case "union": {
        const b = node.inputs[1] !== undefined ? this.rows.get(node.inputs[1]) : undefined;
        return inRows !== undefined && b !== undefined ? inRows + b : undefined;
      }
      case "failures":
      case "successes":
      case "stage-output": {
        const stage = this.ir.nodes.get(node.inputs[0] ?? ("" as NodeId));
        const data = obj(obj(stage?.params)["data"])["data"];
        return typeof data === "string" ? this.rows.get(data as NodeId) : undefined;
      }
      default:
        return inRows; // an upper bound for filters
    }
  }

  private stageCost(node: IrNode, p: Record<string, Canon>): Cost {
    const dataId = obj(p["data"])["data"];
    const rows = typeof dataId === "string" ? this.rows.get(dataId as NodeId) : undefined;
    const tpr = typeof dataId === "string" ? (this.tpr.get(dataId as NodeId) ?? numOr(p["context"])) : undefined;
    let n = this.params(p["from"] ?? p["model"]);
    if (node.op === "swap") {
      const rep = obj(p["replace"]);
      const out = typeof rep["replace"] === "string" ? this.ir.modelParams.get(rep["replace"]) : undefined;
      const inn = this.params(rep["with"]);
      n = n !== undefined && out !== undefined && inn !== undefined ? n - out + inn : n;
    }
    this.modelN.set(node.id, n);
    const base: Cost = { ...(rows !== undefined ? { rows } : {}), ...(n !== undefined ? { params: n } : {}) };
    const epochs = numOr(p["epochs"]) ?? 1;
    const batch = numOr(p["batch"]) ?? 8;
    const steps = numOr(p["steps"]) ?? (rows !== undefined ? Math.max(1, Math.ceil((rows * epochs) / batch)) : undefined);
    const tokens = numOr(p["steps"]) !== undefined ? (steps ?? 0) * batch * (tpr ?? numOr(p["context"]) ?? 2048) : rows !== undefined && tpr !== undefined ? rows * tpr * epochs : undefined;
    const withSteps = steps !== undefined ? { ...base, steps } : base;
    switch (node.op) {
      case "sft":
      case "pretrain": {
        // Training every part costs 6·N per token; an adapter before frozen parts about 4·N.
        const allTrained = p["train"] === undefined && node.op === "pretrain";
        return this.withFlops(withSteps, n !== undefined && tokens !== undefined ? (allTrained ? 6 : 4) * n * tokens : undefined, tokens);
      }
      case "eval": {
        const gen = numOr(p["max_new_tokens"]) ?? 256;
        const t = rows !== undefined ? rows * ((tpr ?? 0) + gen) : undefined;
        return this.withFlops(base, n !== undefined && t !== undefined ? 2 * n * t : undefined, t);
      }
      case "grpo": {
        const group = numOr(p["group"]) ?? 8;
        const gen = numOr(p["max_completion"]) ?? 256;
        const t = rows !== undefined ? rows * epochs * group * ((tpr ?? 0) + gen) : undefined;
        const genTokens = rows !== undefined ? rows * epochs * group * gen : undefined;
        const flops = n !== undefined && t !== undefined && genTokens !== undefined ? 2 * n * genTokens + 4 * n * t : undefined;
        return this.withFlops(withSteps, flops, t);
      }
      default:
        return base;
    }
  }

  private withFlops(c: Cost, flops: number | undefined, tokens: number | undefined): Cost {
    const peak = peakFlops(this.ir);
    const mfu = this.ir.pipeline.cluster?.mfu ?? 0.4;
    return {
      ...c,
      ...(tokens !== undefined ? { tokens } : {}),
      ...(flops !== undefined ? { flops } : {}),
      ...(flops !== undefined && peak !== undefined ? { gpuHours: flops / (peak * mfu) / 3600 } : {}),
      ...(flops !== undefined && c.params !== undefined && c.params < LOCAL_MAX_PARAMS ? { localSeconds: flops / LOCAL_FLOPS } : {}),
    };
  }
}
