import { createRequire } from "node:module";

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
 * The backend a run would use: the one asked for, or the best one installed. Only looks for the
 * packages (loading TensorFlow.js is slow and is done by the training runtime when a stage runs).
 * Returns an error naming what to install when the one asked for is missing.
 */
export function pickBackend(requested: string | undefined): { ok: true; name: string } | { ok: false; error: string } {
  if (requested && requested !== "auto") {
    const b = BACKENDS.find((x) => x.name === requested);
    if (!b) return { ok: false, error: `unknown backend '${requested}'; backends: ${BACKENDS.map((x) => x.name).join(", ")}` };
    const missing = b.packages.filter((p) => !installed(p));
    if (missing.length) return { ok: false, error: `backend '${requested}' needs ${missing.join(" and ")}: npm install ${missing.join(" ")}` };
    return { ok: true, name: b.name };
  }
  const best = BACKENDS.find((b) => b.packages.every(installed));
  return { ok: true, name: best?.name ?? "none" };
}
