// Bundles the compiled CLI into dist/bundle/: one main module to load instead of hundreds, which
// takes most of the start-up time off every command. Code is split at dynamic imports, so what only
// some commands need (TensorFlow.js for training stages, Slurm, the report) loads only when used:
// an external package imported from a lazily loaded chunk is imported when that chunk is.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist/bundle", { recursive: true, force: true });
await build({
  entryPoints: { main: "dist/src/cli/main.js" },
  outdir: "dist/bundle",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  // CommonJS dependencies (yaml, cross-spawn under execa) call require(); give each chunk one.
  banner: { js: "import { createRequire as __scCreateRequire } from 'node:module'; const require = __scCreateRequire(import.meta.url);" },
  // TensorFlow.js and its backends are optional or large, and are loaded only when a training stage runs.
  external: ["@tensorflow/*", "webgpu"],
});

// The build's identity, read by the CLI: caches of compiled pipelines are valid for one build only.
const hash = createHash("sha256");
for (const f of readdirSync("dist/bundle").sort()) hash.update(f).update(readFileSync(`dist/bundle/${f}`));
writeFileSync("dist/bundle/build-id", `${hash.digest("hex")}\n`);
