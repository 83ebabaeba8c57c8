import type { RunEvent } from "../../runtime/events.js";

/**
 * Live progress for a terminal: finished nodes scroll up as plain lines, and below them one line per
 * running node with its elapsed time (and a bar with an ETA when the node reports progress),
 * redrawn in place. Outside a terminal (CI, a log file) the plain lines alone are written.
 */
export class LiveProgress {
  private readonly running = new Map<string, { op: string; since: number; done?: number; total?: number }>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (s: string) => void,
    private readonly plain: (e: RunEvent) => string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.redraw(), 250);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  onEvent(e: RunEvent): void {
    if (e.type === "node-start") this.running.set(e.node, { op: e.op, since: this.now() });
    if (e.type === "node-done" || e.type === "node-failed") this.running.delete(e.node);
    if (e.type === "progress") {
      const r = this.running.get(e.node);
      if (r) Object.assign(r, { done: e.done, total: e.total });
      this.redraw();
      return;
    }
    const line = this.plain(e);
    this.clear();
    if (line !== undefined) this.write(`${line}\n`);
    this.redraw(false);
  }

  /** The live lines, as they would be drawn now (for tests). */
  lines(): string[] {
    const out: string[] = [];
    for (const [name, r] of this.running) {
      const secs = (this.now() - r.since) / 1000;
      let bar = "";
      if (r.total && r.done !== undefined && r.total > 0) {
        const frac = Math.min(1, r.done / r.total);
        const width = 20;
        const fill = Math.round(frac * width);
        const eta = frac > 0 ? (secs / frac) * (1 - frac) : undefined;
        bar = ` [${"#".repeat(fill)}${".".repeat(width - fill)}] ${Math.round(frac * 100)}%${eta !== undefined ? ` ETA ${Math.ceil(eta)}s` : ""}`;
      }
      out.push(`  ⋯ ${name} (${r.op}) ${secs.toFixed(0)}s${bar}`);
    }
    return out;
  }

  private clear(): void {
    if (this.drawn) this.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(clearFirst = true): void {
    if (clearFirst) this.clear();
    const lines = this.lines();
    if (lines.length) this.write(`${lines.join("\n")}\n`);
    this.drawn = lines.length;
  }
}
