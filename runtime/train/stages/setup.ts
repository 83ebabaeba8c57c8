import { initBackend, type BackendInfo, type TrainBackend } from "../backend.js";
import type { RunnerContext } from "../../runner.js";

let active: { readonly name: string; readonly info: Promise<BackendInfo> } | undefined;

/** Starts the run's backend once per process (every training stage of a run uses the same one). */
export function trainingBackend(ctx: RunnerContext): Promise<BackendInfo> {
  const wanted = ctx.backend && ctx.backend !== "none" ? ctx.backend : "auto";
  if (active?.name !== wanted) {
    const info = initBackend(wanted as TrainBackend | "auto").then((r) => {
      if (!r.ok) throw new Error(r.error);
      return r.value;
    });
    active = { name: wanted, info };
    info.catch(() => (active = undefined));
  }
  return active.info;
}
