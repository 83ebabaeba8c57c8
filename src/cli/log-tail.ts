import type { Digest } from "../cache/digest.js";
import { tailLines } from "../cache/files.js";
import type { Store } from "../cache/store.js";
import { shownPath } from "../ir/paths.js";
import type { CliIO } from "./io.js";

/** Lines of a log replay prints; the rest is named by its path. */
const SHOWN = 20;

/**
 * Prints a text kept in the store (metrics, a log) the way replay shows it: a header with its
 * length, then its last lines. A long one says where the whole of it is. Read in chunks, so a log
 * of any size is shown without being held.
 */
export async function showStored(io: CliIO, store: Store, label: string, d: Digest): Promise<void> {
  const file = store.objectPath(d);
  if (!(await store.has(d))) {
    io.stdout(`--- ${label}: no longer in the cache (removed by \`stagecraft cache gc\`)\n`);
    return;
  }
  const { lines, total } = await tailLines(file, SHOWN);
  const more = total > SHOWN ? `, last ${SHOWN}; all of it in ${shownPath(file)}` : "";
  io.stdout(`--- ${label} (${total} line${total === 1 ? "" : "s"}${more})\n${lines.join("\n")}\n`);
}
