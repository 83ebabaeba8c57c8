/**
 * The machine's BLAS, reached through koffi (an optionalDependency whose tarball carries its prebuilt
 * binaries, so installing it downloads nothing). With it the wasm backend hands its matrix products
 * to `cblas_sgemm`, which runs on every core with AVX-512 or AVX2; the wasm build of XNNPACK has one
 * thread and 128-bit SIMD. PyTorch's CPU build calls the same routine.
 *
 * `STAGECRAFT_BLAS` chooses: unset tries the usual library names, `off` uses none, anything else is
 * the library to load (a name the dynamic linker finds, or a path), and failing to load it is an error.
 */

/** Row-major single-precision GEMM: C[m×n] = A·B (each optionally transposed), buffers as typed-array views. */
export interface Blas {
  /** What was loaded, for plans and artifacts: "OpenBLAS 0.3.21 (libopenblas.so.0, 2 threads)". */
  readonly description: string;
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void;
}

export type BlasResult = { readonly ok: true; readonly value: Blas | undefined; readonly why?: string } | { readonly ok: false; readonly error: string };

/** Libraries tried in auto mode, best first. The reference BLAS (libblas.so.3 from netlib) is slower than wasm and is not among them. */
const CANDIDATES = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libblis.so.4", "libmkl_rt.so.2", "libmkl_rt.so"];

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

interface KoffiLib {
  func(signature: string): (...args: unknown[]) => unknown;
}
interface Koffi {
  load(path: string): KoffiLib;
}

async function importKoffi(): Promise<Koffi | undefined> {
  try {
    const name = "koffi";
    const m = (await import(name)) as { default?: Koffi } & Koffi;
    return m.default ?? m;
  } catch {
    return undefined;
  }
}

function optional(lib: KoffiLib, signature: string): ((...args: unknown[]) => unknown) | undefined {
  try {
    return lib.func(signature);
  } catch {
    return undefined;
  }
}

function bind(lib: KoffiLib, name: string): Blas {
  const gemm = lib.func(
    "void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc)",
  );
  const config = optional(lib, "const char* openblas_get_config()");
  const threads = optional(lib, "int openblas_get_num_threads()");
  const what = config ? String(config()).split(" ").slice(0, 2).join(" ") : "BLAS";
  const n = threads ? Number(threads()) : undefined;
  const description = `${what} (${name}${n ? `, ${n} thread${n === 1 ? "" : "s"}` : ""})`;
  return {
    description,
    sgemm(transA, transB, m, n, k, a, b, c) {
      const lda = transA ? m : k;
      const ldb = transB ? k : n;
      gemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1, a, lda, b, ldb, 0, c, n);
    },
  };
}

const loaded = new Map<string, Promise<BlasResult>>();

/** Loads the BLAS `spec` names (default `STAGECRAFT_BLAS`), or the first one found; once per process and spec. */
export function loadBlas(spec: string | undefined = process.env["STAGECRAFT_BLAS"]): Promise<BlasResult> {
  const key = spec ?? "";
  const known = loaded.get(key);
  if (known) return known;
  const p = (async (): Promise<BlasResult> => {
    const wanted = spec?.trim();
    if (wanted === "off" || wanted === "0" || wanted === "none") return { ok: true, value: undefined, why: "turned off by STAGECRAFT_BLAS" };
    const koffi = await importKoffi();
    if (!koffi) {
      return wanted ? { ok: false, error: `STAGECRAFT_BLAS=${wanted} needs the koffi package: npm install koffi` } : { ok: true, value: undefined, why: "koffi is not installed" };
    }
    for (const name of wanted ? [wanted] : CANDIDATES) {
      try {
        return { ok: true, value: bind(koffi.load(name), name) };
      } catch (e) {
        if (wanted) return { ok: false, error: `STAGECRAFT_BLAS=${wanted} could not be loaded: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
    return { ok: true, value: undefined, why: `no BLAS library found (${CANDIDATES[0]}; apt-get install libopenblas0)` };
  })();
  loaded.set(key, p);
  return p;
}
