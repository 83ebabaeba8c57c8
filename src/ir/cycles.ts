import { diag, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Ir, NodeId } from "./ir.js";

/**
 * Cycles in the lowered graph. The checker reports those made by references; lowering adds the
 * edges it cannot see, from a command that names a file another command writes (see
 * linkCommandOutputs), and two such commands can wait on each other. Each cycle is one SC3002 at the
 * first of its stages. Walked without recursion, so a chain of any length is fine.
 */
export function graphCycles(ir: Ir): Diagnostic[] {
  const state = new Map<NodeId, "visiting" | "done">();
  const out: Diagnostic[] = [];
  const deps = (id: NodeId): readonly NodeId[] => {
    const n = ir.nodes.get(id);
    return n ? [...n.inputs, ...n.after] : [];
  };
  for (const start of ir.order) {
    if (state.has(start)) continue;
    const stack: { id: NodeId; next: number; deps: readonly NodeId[] }[] = [{ id: start, next: 0, deps: deps(start) }];
    state.set(start, "visiting");
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next >= top.deps.length) {
        state.set(top.id, "done");
        stack.pop();
        continue;
      }
      const d = top.deps[top.next++]!;
      const s = state.get(d);
      if (s === "done") continue;
      if (s === "visiting") {
        out.push(cycleAt(ir, [...stack.slice(stack.findIndex((f) => f.id === d)).map((f) => f.id)]));
        continue;
      }
      state.set(d, "visiting");
      stack.push({ id: d, next: 0, deps: deps(d) });
    }
  }
  return out;
}

function cycleAt(ir: Ir, members: readonly NodeId[]): Diagnostic {
  // Each member reads the next one, as the checker says it: "a → b → a".
  const nodes = members.map((id) => ir.nodes.get(id)!);
  const names = [...nodes.map((n) => n.name), nodes[0]!.name].join(" → ");
  return diag("SC3002", nodes[0]!.span, `stages depend on each other in a cycle: ${names}`, {
    related: nodes.slice(1).map((n) => ({ span: n.span, message: `'${n.name}' is part of the cycle` })),
    suggestion: "a command that names a file another command writes runs after it; one of them must read or write another file",
  });
}
