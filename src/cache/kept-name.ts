import { lstat } from "node:fs/promises";

/**
 * Names for content that no run made, kept aside before an output is written over it:
 * `<file>.kept`, then `<file>.kept.2`, `<file>.kept.3`, ...
 */
export function keptName(file: string, attempt: number): string {
  return attempt === 1 ? `${file}.kept` : `${file}.kept.${attempt}`;
}

/** The first kept name not taken now (what a run would use, unless another takes it first). */
export async function freeKeptName(file: string): Promise<string> {
  for (let i = 1; ; i++) {
    const name = keptName(file, i);
    if ((await lstat(name).catch(() => undefined)) === undefined) return name;
  }
}
