/** What a command may touch: the CLI entry supplies the real process; tests supply their own. */
export interface CliIO {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C or SIGTERM: long commands stop their children and record the interruption. */
  readonly signal?: AbortSignal;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, errors: 1, usage: 64, internal: 70 } as const;
