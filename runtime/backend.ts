import { createRequire } from "node:module";
import { loadBlas } from "./train/blas.js";

/** Training backends, best first, with the packages each needs. */
export const BACKENDS = [
  { name: "tfjs-node-gpu", packages: ["@tensorflow/tfjs-node-gpu"] },
  { name: "tfjs-node", packages: ["@tensorflow/tfjs-node"] },
  { name: "webgpu", packages: ["webgpu", "@tensorflow/tfjs-backend-webgpu"] },
  { name: "wasm", packages: ["@tensorflow/tfjs-backend-wasm"] },
  { name: "cpu", packages: ["@tensorflow/tfjs-core"] },
] as const;

export type BackendName = (typeof BACKENDS)[number]["name"];

const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * The backend asked for by name, checked by its packages only (loading TensorFlow.js is slow and is
 * done by the training runtime when a stage runs). Returns an error naming what to install when it
 * is missing. Auto mode is `usableBackends`/`resolveBackend`.
 */
/** Whether `name` is one of the backends stagecraft knows (installed or not). */
export function isBackendName(name: string): boolean {
  return BACKENDS.some((x) => x.name === name);
}

export function pickBackend(requested: string): { ok: true; name: BackendName } | { ok: false; error: string } {
  const b = BACKENDS.find((x) => x.name === requested);
  if (!b) return { ok: false, error: `unknown backend '${requested}'; backends: ${BACKENDS.map((x) => x.name).join(", ")}` };
  const missing = b.packages.filter((p) => !installed(p));
  if (missing.length) return { ok: false, error: `backend '${requested}' needs ${missing.join(" and ")}: npm install ${missing.join(" ")}` };
  return { ok: true, name: b.name };
}

/** What a WebGPU probe found: whether there is an adapter, and whether it is a real GPU. */
export interface GpuProbe {
  readonly adapter: boolean;
  /** False for software renderers (Mesa's lavapipe/llvmpipe, SwiftShader) and fallback adapters. */
  readonly hardware: boolean;
  readonly description: string;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software/i;

/** What a WebGPU adapter's info says it is, in one line. */
export interface AdapterInfo {
  readonly description?: string;
  readonly device?: string;
  readonly vendor?: string;
  readonly architecture?: string;
}

export function describeAdapter(i: AdapterInfo): string {
  return [i.description, i.device, i.vendor, i.architecture].filter(Boolean).join(", ") || "unnamed adapter";
}

/**
 * Makes `navigator.gpu` exist in Node (Dawn, through the `webgpu` package), as
 * @tensorflow/tfjs-backend-webgpu expects before it is imported. Returns it, or throws when the
 * package cannot load.
 */
export async function installNavigatorGpu(): Promise<NavigatorGpu> {
  const g = globalThis as { navigator?: { gpu?: NavigatorGpu } };
  if (g.navigator?.gpu) return g.navigator.gpu;
  // libwayland complains on stderr when there is no runtime directory; give it a private one.
  if (!process.env["XDG_RUNTIME_DIR"]) {
    const { mkdirSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = `${tmpdir()}/stagecraft-xdg-${process.getuid?.() ?? "user"}`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env["XDG_RUNTIME_DIR"] = dir;
  }
  const name = "webgpu";
  const webgpu = (await import(name)) as { create(flags: string[]): unknown; globals: object };
  Object.assign(globalThis, webgpu.globals);
  if (!g.navigator) Object.defineProperty(globalThis, "navigator", { value: {}, writable: true, configurable: true });
  Object.defineProperty(g.navigator, "gpu", { value: webgpu.create([]), configurable: true });
  return g.navigator!.gpu!;
}

/** The part of `navigator.gpu` stagecraft uses. */
export interface NavigatorGpu {
  requestAdapter(): Promise<{ readonly info?: AdapterInfo } | null>;
}

let probed: Promise<GpuProbe> | undefined;

/** The probe, run in a child process: Dawn writes its driver complaints straight to stderr. */
const PROBE = `
const webgpu = await import(process.argv[1]);
Object.assign(globalThis, webgpu.globals);
const a = await webgpu.create([]).requestAdapter();
const i = a?.info ?? {};
const info = { description: i.description, device: i.device, vendor: i.vendor, architecture: i.architecture };
console.log(JSON.stringify(a ? { adapter: true, fallback: !!a.isFallbackAdapter, info } : { adapter: false }));
process.exit(0);
`;

/**
 * Asks Dawn for an adapter once per process, in a child process whose stderr is dropped. Never
 * throws: a failure is "no adapter".
 */
export function probeWebgpu(): Promise<GpuProbe> {
  probed ??= (async (): Promise<GpuProbe> => {
    try {
      const { execFile } = await import("node:child_process");
      const { pathToFileURL } = await import("node:url");
      const entry = pathToFileURL(require.resolve("webgpu")).href;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ["--input-type=module", "-e", PROBE, entry], { timeout: 20_000, env: { ...process.env, XDG_RUNTIME_DIR: process.env["XDG_RUNTIME_DIR"] ?? "" } }, (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        ),
      );
      const r = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { adapter?: boolean; fallback?: boolean; info?: AdapterInfo };
      if (!r.adapter) return { adapter: false, hardware: false, description: "no WebGPU adapter (no GPU with a Vulkan driver Dawn accepts)" };
      const description = describeAdapter(r.info ?? {});
      return { adapter: true, hardware: !r.fallback && !SOFTWARE.test(description), description };
    } catch (e) {
      return { adapter: false, hardware: false, description: `webgpu could not load: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` };
    }
  })();
  return probed;
}

/**
 * Auto mode: the backends whose packages are installed, best first, and why any was passed over.
 * webgpu counts only on a real GPU: a software adapter (Mesa's lavapipe on a machine without a GPU)
 * is slower than wasm, so it is used only when asked for by name. `training` false (a pipeline
 * without training or generation) skips the probe, which loads the GPU driver.
 */
export async function usableBackends(training = true): Promise<{ names: BackendName[]; skipped: string[] }> {
  const names: BackendName[] = [];
  const skipped: string[] = [];
  for (const b of BACKENDS) {
    if (!b.packages.every(installed)) continue;
    if (b.name === "webgpu") {
      if (!training) continue;
      const p = await probeWebgpu();
      if (!p.hardware) {
        skipped.push(`webgpu: ${p.adapter ? `only a software adapter (${p.description})` : p.description}`);
        continue;
      }
    }
    names.push(b.name);
  }
  return { names, skipped };
}

/** The backend a run will use: the one asked for by name, or in auto mode the first usable one. */
export async function resolveBackend(
  requested: string | undefined,
  training = true,
): Promise<{ ok: true; name: string; skipped: string[]; detail?: string } | { ok: false; error: string }> {
  let r: { ok: true; name: string; skipped: string[] } | { ok: false; error: string };
  if (requested && requested !== "auto") {
    const picked = pickBackend(requested);
    r = picked.ok ? { ...picked, skipped: [] } : picked;
  } else {
    const { names, skipped } = await usableBackends(training);
    r = { ok: true, name: names[0] ?? "none", skipped };
  }
  if (!r.ok || r.name !== "wasm" || !training) return r;
  // What wasm's matrix products run on changes its speed and its last bits, so the plan says it.
  const blas = await loadBlas();
  if (!blas.ok) return blas;
  return { ...r, detail: blas.value ? `matrix products on ${blas.value.description}` : `matrix products on XNNPACK (no BLAS: ${blas.why ?? "none found"})` };
}
