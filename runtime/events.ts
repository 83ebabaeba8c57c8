/** What a run reports as it goes; the CLI renders these as live lines, plain lines or JSON. */
export type RunEvent =
  | { readonly type: "start"; readonly runId: string; readonly nodes: number; readonly toRun: number; readonly backend?: string }
  | { readonly type: "node-start"; readonly node: string; readonly op: string }
  | { readonly type: "node-done"; readonly node: string; readonly op: string; readonly action: "ran" | "restored"; readonly seconds: number; readonly detail?: string }
  | { readonly type: "node-failed"; readonly node: string; readonly op: string; readonly error: string; readonly where?: string }
  | { readonly type: "node-skipped"; readonly node: string; readonly reason: string }
  | { readonly type: "warning"; readonly node: string; readonly message: string }
  | { readonly type: "log"; readonly node: string; readonly stream: "stdout" | "stderr"; readonly line: string }
  /** A long node's progress (training steps), for a bar with an ETA. */
  | { readonly type: "progress"; readonly node: string; readonly done: number; readonly total: number }
  | { readonly type: "finish"; readonly runId: string; readonly status: "ok" | "failed" | "interrupted"; readonly ran: number; readonly restored: number; readonly failed: number; readonly seconds: number };
