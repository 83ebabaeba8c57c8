/** How the checker reads pipeline files: behind an interface so tests and tools can supply their own. */
export interface SourceHost {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  read(path: string): string | undefined;
  /** Why `read` gave nothing, in words ("no such file", "is a directory"), where the host can say. */
  why?(path: string): string | undefined;
  /** The path of `spec` as written in an import inside `from`. */
  resolve(from: string, spec: string): string;
}

/** A host over an in-memory map, for tests. Paths are joined POSIX-style. */
export function memoryHost(files: Readonly<Record<string, string>>): SourceHost {
  return {
    read: (p) => files[p],
    resolve: (from, spec) => {
      if (spec.startsWith("/")) return normalize(spec);
      const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/")) : ".";
      return normalize(`${dir}/${spec}`);
    },
  };
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "." || seg === "") continue;
    if (seg === ".." && out.length && out[out.length - 1] !== "..") out.pop();
    else out.push(seg);
  }
  return (p.startsWith("/") ? "/" : "") + out.join("/");
}
