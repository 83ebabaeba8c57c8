import { SIMD_MODULES } from "./modules.js";

/**
 * The SIMD kernels (the .wat files here), instantiated over the TensorFlow.js wasm backend's own
 * memory so they read and write tensors in place by byte offset. One instance per module and heap:
 * a backend created again brings a new heap.
 */

/** A WebAssembly.Memory (the project's TypeScript lib has no WebAssembly types). */
export type WasmMemory = object;
type Exported = (...args: number[]) => void;

const WA = (globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: Record<string, unknown> } };
}).WebAssembly;

const compiled = new Map<string, object>();
const instances = new WeakMap<WasmMemory, Map<string, Record<string, unknown>>>();

/** Function `fn` of module `name`, bound to `memory`. */
export function simdFunction(name: keyof typeof SIMD_MODULES, fn: string, memory: WasmMemory): Exported {
  let mods = instances.get(memory);
  if (!mods) instances.set(memory, (mods = new Map()));
  let exports = mods.get(name);
  if (!exports) {
    let module = compiled.get(name);
    if (!module) compiled.set(name, (module = new WA.Module(Buffer.from(SIMD_MODULES[name], "base64"))));
    exports = new WA.Instance(module, { env: { memory } }).exports;
    mods.set(name, exports);
  }
  const f = exports[fn];
  if (typeof f !== "function") throw new Error(`SIMD module '${name}' has no function '${fn}'`);
  return f as Exported;
}

/** The wasm backend's heap, or undefined for another backend. */
export function wasmHeap(backend: object): WasmMemory | undefined {
  const w = (backend as { wasm?: { asm?: { memory?: WasmMemory } } }).wasm;
  return w?.asm?.memory;
}
