import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it, vi } from "vitest";
import { pickBackend, probeWebgpu, resolveBackend } from "../../../runtime/backend.js";
import { checkActive, initBackend, type TrainBackend } from "../../../runtime/train/backend.js";
import { wasmKernelsInstalled } from "../../../runtime/train/wasm-kernels.js";
import { renderEvent } from "../../../src/cli/run-command.js";
import { planData, renderPlan } from "../../../src/plan/render.js";

describe("initBackend", () => {
  // First in the file: the wasm module is initialised once per process.
  it("starts wasm from the package's own binaries, single-threaded with SIMD, without fetching anything", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no network in tests"));
    try {
      const r = await initBackend("wasm");
      expect(r.ok ? r.value : r.error).toMatchObject({ name: "wasm", tfName: "wasm", wasm: { simd: true, threads: 1, kernelFixes: true } });
      expect(tf.getBackend()).toBe("wasm");
      expect(wasmKernelsInstalled()).toBe(true);
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it("switches to cpu and records the TensorFlow.js version", async () => {
    const r = await initBackend("cpu");
    expect(r.ok ? r.value : r.error).toMatchObject({ name: "cpu", tfName: "cpu", tfjsVersion: "4.22.0", skipped: [] });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("can leave the stock wasm kernels in place (for comparisons)", async () => {
    const r = await initBackend("wasm", { wasmKernelFixes: false });
    expect(r.ok && r.value.wasm?.kernelFixes).toBe(false);
    expect(wasmKernelsInstalled()).toBe(false);
    const back = await initBackend("wasm");
    expect(back.ok && back.value.wasm?.kernelFixes).toBe(true);
    expect(wasmKernelsInstalled()).toBe(true);
  });

  it("in auto mode picks the best backend that starts, in runtime/backend.ts's order", async () => {
    const r = await initBackend();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const best = await resolveBackend(undefined);
    expect(best.ok && best.name).toBe(r.value.name);
    expect(tf.getBackend()).toBe(r.value.tfName);
    // webgpu is installed (an optional dependency); without a real GPU it is skipped, with why.
    const gpu = await probeWebgpu();
    if (pickBackend("webgpu").ok && !gpu.hardware) {
      expect(r.value.skipped.join("\n")).toMatch(/^webgpu: (only a software adapter|no WebGPU adapter|webgpu could not load)/m);
    }
  });

  it.each<TrainBackend>(["tfjs-node-gpu", "tfjs-node", "webgpu"])("names what to install when %s is asked for and missing", async (name) => {
    if (pickBackend(name).ok) return; // installed here: nothing to check
    const before = tf.getBackend();
    const r = await initBackend(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/npm install @tensorflow\/tfjs-|npm install webgpu/);
    expect(tf.getBackend()).toBe(before);
  });

  it("rejects an unknown backend", async () => {
    const r = await initBackend("tpu" as TrainBackend);
    expect(r.ok ? "ok" : r.error).toMatch(/unknown backend 'tpu'/);
  });

  it("reports when TensorFlow.js is not on the backend chosen", async () => {
    await initBackend("cpu");
    expect(checkActive("cpu")).toBeUndefined();
    expect(checkActive("wasm")).toBe("TensorFlow.js is running on 'cpu', not 'wasm'");
  });
});

describe("what plans and runs say about the wasm backend", () => {
  it("names what computes matrix products, only for pipelines that train", async () => {
    const wasm = await resolveBackend("wasm", true);
    expect(wasm.ok).toBe(true);
    if (!wasm.ok) return;
    const info = await initBackend("wasm");
    // The plan's words and the artifact's record come from the same loader.
    expect(wasm.detail).toBe(`matrix products on ${info.ok ? info.value.wasm?.matmul : "?"}`);
    const noTraining = await resolveBackend("wasm", false);
    expect(noTraining.ok && noTraining.detail).toBeUndefined();
    const cpu = await resolveBackend("cpu", true);
    expect(cpu.ok && cpu.detail).toBeUndefined();
  });

  it("fails a plan whose STAGECRAFT_BLAS names a library that does not load", async () => {
    vi.stubEnv("STAGECRAFT_BLAS", "libno-such-blas.so.7");
    try {
      const r = await resolveBackend("wasm", true);
      expect(r.ok ? "ok" : r.error).toMatch(/^STAGECRAFT_BLAS=libno-such-blas\.so\.7 could not be loaded/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("shows the detail in the plan's header and the run's first line", () => {
    const plan = { pipeline: "p", entry: "p.sc", backend: "wasm", backendDetail: "matrix products on OpenBLAS 0.3.21 (libopenblas.so.0, 2 threads)", nodes: [], totals: { run: 0, cached: 0, blocked: 0, skipped: 0, flops: 0, gpuHours: 0 } };
    expect(renderPlan(plan, { color: false }).split("\n")[0]).toBe("plan for p.sc (pipeline p, backend wasm, matrix products on OpenBLAS 0.3.21 (libopenblas.so.0, 2 threads))");
    expect(planData(plan)["backendDetail"]).toBe(plan.backendDetail);
    expect(renderEvent({ type: "start", runId: "r1", nodes: 3, toRun: 2, backend: "wasm, matrix products on XNNPACK (no BLAS: turned off)" }, false)).toBe(
      "run r1: 2 of 3 nodes to run (backend wasm, matrix products on XNNPACK (no BLAS: turned off))",
    );
    expect(renderEvent({ type: "start", runId: "r1", nodes: 3, toRun: 2 }, false)).toBe("run r1: 2 of 3 nodes to run");
  });
});
