#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled into one file by `npm run build` (run by `npm install`).
import { main } from "../dist/bundle/main.mjs";

// Ctrl-C or SIGTERM asks the running command to stop cleanly; a second one exits at once. The
// status is the one a shell shows for that signal: 130 (128 + SIGINT) or 143 (128 + SIGTERM).
const stop = new AbortController();
let signalled;
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.on(sig, () => {
    if (stop.signal.aborted) process.exit(signalled ?? code);
    signalled = code;
    stop.abort();
  });
}

// A reader that goes away (`stagecraft log | head -1`) ends the command quietly, as SIGPIPE ends
// git or ls: the rest of the output is dropped, a running command stops as on Ctrl-C, and the exit
// status is 141 (128 + SIGPIPE), the status a shell shows for those tools, so a `set -o pipefail`
// script treats stagecraft like them. Node ignores SIGPIPE and reports EPIPE instead, which
// unhandled would end the process with a stack trace.
const SIGPIPE_STATUS = 141;
let stdoutGone;
process.stdout.on("error", (e) => {
  stdoutGone ??= e.code === "EPIPE" ? SIGPIPE_STATUS : 1;
  // The error may come after the command has finished and set its status.
  process.exitCode = stdoutGone;
  stop.abort();
});
// With stderr gone there is nowhere left to report anything.
process.stderr.on("error", () => {});

const status = await main(process.argv.slice(2), {
  stdout: (s) => {
    if (stdoutGone === undefined) process.stdout.write(s);
  },
  stderr: (s) => {
    if (!process.stderr.destroyed) process.stderr.write(s);
  },
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  signal: stop.signal,
});
// A command stopped by a signal says 130; the signal that stopped it decides which status.
process.exitCode = stdoutGone ?? (status === 130 && signalled !== undefined ? signalled : status);
