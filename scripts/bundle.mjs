// Bundles the compiled CLI into one file, dist/stagecraft.mjs: one module to load instead of
// hundreds, which takes most of the start-up time off every command.
import { build } from "esbuild";

await build({
  entryPoints: ["dist/src/cli/main.js"],
  outfile: "dist/stagecraft.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  // CommonJS dependencies (yaml, cross-spawn under execa) call require(); give the bundle one.
  banner: { js: "import { createRequire as __scCreateRequire } from 'node:module'; const require = __scCreateRequire(import.meta.url);" },
  // TensorFlow.js and its backends are optional and loaded only when a training stage runs.
  external: ["@tensorflow/*", "webgpu"],
});
