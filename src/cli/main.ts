import { runCheck } from "./check-command.js";
import { fsHost } from "./fs-host.js";
import { EXIT, type CliIO } from "./io.js";

const USAGE = `usage: stagecraft <command> [options] FILE...

commands:
  check FILE...                 parse and check pipeline files; exit 1 on errors
  fmt [--check] [--write] FILE...
                                print files in the canonical layout; --check exits 1
                                when a file is not formatted; --write rewrites in place
options:
  --json                        machine-readable diagnostics
  --color / --no-color          force colours on or off (default: on for a terminal)
  -h, --help                    this help
`;

interface Parsed {
  readonly command: string | undefined;
  readonly files: string[];
  readonly flags: Set<string>;
  readonly unknown: string[];
}

const KNOWN_FLAGS = new Set(["--json", "--check", "--write", "--color", "--no-color", "--help", "-h"]);

function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  const files: string[] = [];
  const flags = new Set<string>();
  const unknown: string[] = [];
  for (const a of rest) {
    if (a.startsWith("-") && a !== "-") {
      if (KNOWN_FLAGS.has(a)) flags.add(a);
      else unknown.push(a);
    } else files.push(a);
  }
  return { command, files, flags, unknown };
}

/** The only place that knows about argv and exit codes. Never throws. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const p = parseArgs(argv);
    if (!p.command || p.command === "-h" || p.command === "--help" || p.flags.has("--help") || p.flags.has("-h")) {
      io.stdout(USAGE);
      return p.command ? EXIT.ok : EXIT.usage;
    }
    if (p.unknown.length) {
      io.stderr(`stagecraft: unknown option ${p.unknown.join(", ")}\n${USAGE}`);
      return EXIT.usage;
    }
    const color = p.flags.has("--color") || (!p.flags.has("--no-color") && io.isTTY && !io.env["NO_COLOR"]);
    switch (p.command) {
      case "check":
        if (!p.files.length) {
          io.stderr(`stagecraft check: no files given\n${USAGE}`);
          return EXIT.usage;
        }
        return runCheck({ files: p.files, json: p.flags.has("--json"), color }, io, fsHost);
      case "fmt": {
        const { runFmt } = await import("./fmt-command.js");
        if (!p.files.length) {
          io.stderr(`stagecraft fmt: no files given\n${USAGE}`);
          return EXIT.usage;
        }
        return runFmt({ files: p.files, check: p.flags.has("--check"), write: p.flags.has("--write"), color }, io, fsHost);
      }
      default:
        io.stderr(`stagecraft: unknown command '${p.command}'\n${USAGE}`);
        return EXIT.usage;
    }
  } catch (err: unknown) {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.stderr(`stagecraft: internal error (SC9001), please report it:\n${msg}\n`);
    return EXIT.internal;
  }
}
