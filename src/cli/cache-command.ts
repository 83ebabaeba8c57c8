import { gc } from "../cache/gc.js";
import { acquireLock } from "../cache/lock.js";
import { parseSize } from "../cache/size.js";
import { describeProblem, verifyStore } from "../cache/verify.js";
import { first, type Args } from "./args.js";
import { EXIT, type CliIO } from "./io.js";
import { openStore } from "./session.js";

const USAGE = "usage: stagecraft cache ls | verify | gc [--keep-last N] [--max-size SIZE]\n";

/** `stagecraft cache ls | verify | gc [--keep-last N] [--max-size SIZE]`. */
export async function runCache(a: Args, io: CliIO): Promise<number> {
  const verb = a.positional[0];
  if (verb !== "ls" && verb !== "verify" && verb !== "gc") {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  // gc's limits are checked before the cache is opened (for writing, which may create it).
  const keep = first(a, "--keep-last");
  const max = first(a, "--max-size");
  const size = max !== undefined ? parseSize(max) : undefined;
  if (size && !size.ok) {
    io.stderr(`stagecraft cache gc: ${size.error}\n`);
    return EXIT.usage;
  }
  // Digits only: Number() would also take 0x2, 1e1 and the empty string.
  if (keep !== undefined && !/^\d{1,9}$/.test(keep)) {
    io.stderr("stagecraft cache gc: --keep-last takes a whole number\n");
    return EXIT.usage;
  }
  // Listing and verifying read a cache as it is, read-only or not there at all; gc removes.
  const store = await openStore(`cache ${verb}`, a, io, verb === "gc" ? "write" : "read");
  if (typeof store === "number") return store;
  switch (verb) {
    case "ls": {
      const fps = await store.listManifests();
      let total = 0;
      for (const fp of fps) {
        const m = await store.readManifest(fp, { verify: false });
        if (!m.ok) {
          io.stdout(`${fp.slice(0, 12)}  (unreadable: ${m.detail})\n`);
          continue;
        }
        const size = m.manifest.outputs.reduce((s, o) => s + o.size, 0);
        total += size;
        io.stdout(`${fp.slice(0, 12)}  ${m.manifest.kind.padEnd(10)} ${m.manifest.node.padEnd(24)} ${String(size).padStart(10)} B  ${m.manifest.finishedAt}\n`);
      }
      io.stdout(`${fps.length} results, ${total} bytes of outputs in ${store.root}\n`);
      return EXIT.ok;
    }
    case "verify": {
      if (!(await store.exists())) {
        io.stdout(`${store.root}: no cache here, nothing to verify\n`);
        return EXIT.ok;
      }
      const all = await verifyStore(store);
      // Scratch files a killed run left behind are debris, not damage: listed, but not a failure.
      const problems = all.filter((p) => p.kind !== "stray-tmp");
      for (const p of all) io.stdout(`${p.kind === "stray-tmp" ? "note" : "problem"}: ${describeProblem(p)}\n`);
      io.stdout(problems.length ? `${problems.length} problem(s) in ${store.root}\n` : `${store.root}: every object and manifest is intact\n`);
      return problems.length ? EXIT.errors : EXIT.ok;
    }
    case "gc": {
      // gc decides what is unreferenced: no run may commit meanwhile.
      const lock = await acquireLock(store.root, { ...(io.signal ? { signal: io.signal } : {}) });
      if (!lock.ok) return 130;
      try {
        const report = await gc(store, { ...(keep !== undefined ? { keepLast: Number(keep) } : {}), ...(size?.ok ? { maxSize: size.value } : {}) });
        const work = report.removedWork.length ? `, ${report.removedWork.length} leftover work director${report.removedWork.length === 1 ? "y" : "ies"}` : "";
        io.stdout(`removed ${report.removedManifests.length} results and ${report.removedObjects.length} objects${work}, freed ${report.bytesFreed} bytes; ${report.bytesAfter + report.scratchLeft} bytes left${report.scratchLeft ? ` (${report.scratchLeft} of them checkpoints of unfinished stages and scratch less than a minute old)` : ""}\n`);
      } finally {
        await lock.value.release();
      }
      return EXIT.ok;
    }
  }
}
