// `npm run bench`: every benchmark in test/bench/, one after another. Never part of `npm test`.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const benches = ["check-large.mjs", "plan-large.mjs", "noop-run.mjs", "digest.mjs", "many-jobs.mjs", "train.mjs", "slurm.mjs"].filter((b) => !only || b.startsWith(only));
let failed = false;
for (const b of benches) {
  console.log(`# ${b}`);
  const r = spawnSync(process.execPath, [path.join(here, b)], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
