#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled into one file by `npm run build` (run by `npm install`).
import { main } from "../dist/bundle/main.mjs";

// Ctrl-C or SIGTERM asks the running command to stop cleanly; a second one exits at once.
const stop = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  signal: stop.signal,
});
