#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled into one file by `npm run build` (run by `npm install`).
import { main } from "../dist/stagecraft.mjs";

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
});
