import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeEnvironmentError, describeStoreOpenError } from "../../src/cli/fs-errors.js";

function errno(code: string, syscall: string, p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${p}'`), { code, syscall, path: p });
}

describe("environment errors", () => {
  it("no permission, a read-only or full disk: one line naming the operation and the path", () => {
    expect(describeEnvironmentError(errno("EROFS", "open", "/mnt/ro/x"))).toBe("cannot open '/mnt/ro/x': read-only file system");
    expect(describeEnvironmentError(errno("EACCES", "mkdir", path.join(process.cwd(), "a", "b")))).toBe(`cannot mkdir '${path.join("a", "b")}': permission denied`);
    expect(describeEnvironmentError(errno("ENOSPC", "write", "/x"))).toBe("cannot write '/x': no space left on device");
  });

  it("a directory, or a link loop, where a file of the cache belongs is said in words", () => {
    expect(describeEnvironmentError(errno("EISDIR", "open", "/c/lock.json"))).toBe("cannot open '/c/lock.json': is a directory");
    expect(describeEnvironmentError(errno("ELOOP", "stat", "/c/objects"))).toBe("cannot stat '/c/objects': too many symbolic links (a link that leads back to itself)");
  });

  it("anything else is a bug, and is left to be reported as one", () => {
    expect(describeEnvironmentError(errno("EBADF", "read", "/x"))).toBeUndefined();
    expect(describeEnvironmentError(errno("ENOENT", "open", "/x"))).toBeUndefined();
    expect(describeEnvironmentError(new TypeError("x is undefined"))).toBeUndefined();
  });
});

describe("a cache that cannot be opened", () => {
  const root = path.join(process.cwd(), "c");
  it("says which path is wrong and how to choose another cache", () => {
    expect(describeStoreOpenError({ reason: "not-a-directory", root, path: root }, "run")).toBe(
      "cannot use 'c' as the cache: 'c' is not a directory (--cache-dir DIR or STAGECRAFT_CACHE_DIR names another)",
    );
    expect(describeStoreOpenError({ reason: "not-writable", root, path: root, code: "EROFS" }, "run")).toBe(
      "the cache 'c' is not writable (read-only file system), and run needs to write to it (--cache-dir DIR or STAGECRAFT_CACHE_DIR names another)",
    );
    expect(describeStoreOpenError({ reason: "not-writable", root, path: "/ro", code: "EACCES" }, "cache gc")).toMatch(/^the cache 'c' is not writable \('\/ro': permission denied\), and cache gc needs to write to it /);
  });
});
