import { COMMAND_OPTIONS, extraWords, optionsNotFor, parseArgs } from "./args.js";
import { didYouMean } from "../diagnostics/suggest.js";
import { describeEnvironmentError } from "./fs-errors.js";
import { fsHost } from "./fs-host.js";
import { EXIT, type CliIO } from "./io.js";

const USAGE = `usage: stagecraft <command> [options]

commands:
  check FILE...                  parse and check pipeline files; exit 1 on errors
  fmt [--check|--write] FILE...  canonical layout (comments kept); --check exits 1 if a file differs
  plan FILE                      dry run: every node, cached or will run, why, and its cost
  run FILE                       run what the plan says must run; restore the rest from the cache
  replay FILE STAGE [--to DIR] [--force]
                                 restore a stage's outputs from the cache and show its metrics and logs;
                                 a file that differs is replaced only with --force
  graph FILE [--format F]        the stage graph: ascii (default), dot, mermaid, json, svg
  report FILE [--out F]          one self-contained HTML page (default report.html): charts of every cached stage, and the graph
  status FILE                    the Slurm jobs of a pipeline: every node cached, queued, running, done or failed
  job FILE NODE                  the body of one Slurm job (run by the job scripts that run --executor slurm submits)
  log                            past runs, newest first
  cache ls|verify|gc             list, verify or shrink the cache
                                 (gc --keep-last N: results of the last N runs; --max-size SIZE, e.g. 50G)

options:
  --json                         machine-readable output (check, plan, run, log, status)
  --yaml                         plan: the --json content as YAML
  --cache-dir DIR                the cache (default .stagecraft, or $STAGECRAFT_CACHE_DIR)
  --from S, --until S, --only S  partial runs by stage name (plan, run; repeatable or comma-separated)
  --force[=S]                    run S (or everything) even when cached, and what reads it
  --exit-code                    plan: exit 2 when anything would run
  --jobs N, --keep-going         run: parallel nodes; go on past a failure or a blocked node
  --executor local|slurm         run, plan: run here (default) or one Slurm batch job per stage
  --detach                       run --executor slurm: submit and return (follow with status)
  --cancel-on-interrupt          run --executor slurm: scancel the jobs on Ctrl-C (default: leave them)
  --backend NAME                 training backend: tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu
  --all                          plan, graph: show data nodes too
  --color / --no-color           force colours on or off (default: on for a terminal)
  -h, --help                     this help
`;

/** The only place that knows about argv and exit codes. Never throws. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const a = parseArgs(argv);
    if (!a.command || a.command === "-h" || a.command === "--help" || a.flags.has("--help") || a.flags.has("-h")) {
      io.stdout(USAGE);
      return a.command ? EXIT.ok : EXIT.usage;
    }
    if (a.errors.length) {
      io.stderr(`stagecraft: ${a.errors.join("; ")}\n${USAGE}`);
      return EXIT.usage;
    }
    const stray = optionsNotFor(a.command, a);
    if (stray.length) {
      const own = COMMAND_OPTIONS[a.command] ?? [];
      io.stderr(`stagecraft ${a.command}: ${stray.join(", ")} ${stray.length > 1 ? "are not options" : "is not an option"} of ${a.command}${own.length ? ` (its options: ${own.join(", ")})` : ""}\n`);
      return EXIT.usage;
    }
    const extra = extraWords(a.command, a);
    if (extra) {
      io.stderr(`stagecraft ${a.command}: unexpected ${extra.extra.map((w) => `'${w}'`).join(", ")} (usage: stagecraft ${a.command} ${extra.takes})\n`);
      return EXIT.usage;
    }
    const color = a.flags.has("--color") || (!a.flags.has("--no-color") && io.isTTY && !io.env["NO_COLOR"]);
    const files = a.positional;
    switch (a.command) {
      case "check": {
        // Loaded on demand, like every command: the parser builds its grammar when loaded, which
        // a plan of an unchanged pipeline (compiled and kept in the cache) never needs.
        const { runCheck } = await import("./check-command.js");
        if (!files.length) {
          io.stderr(`stagecraft check: no files given\n${USAGE}`);
          return EXIT.usage;
        }
        return runCheck({ files, json: a.flags.has("--json"), color }, io, fsHost);
      }
      case "fmt": {
        const { runFmt } = await import("./fmt-command.js");
        if (!files.length) {
          io.stderr(`stagecraft fmt: no files given\n${USAGE}`);
          return EXIT.usage;
        }
        return runFmt({ files, check: a.flags.has("--check"), write: a.flags.has("--write"), color }, io, fsHost);
      }
      case "plan":
        return await (await import("./plan-command.js")).runPlan(a, io, color);
      case "run":
        return await (await import("./run-command.js")).runRun(a, io, color);
      case "replay":
        return await (await import("./replay-command.js")).runReplay(a, io, color);
      case "graph":
        return await (await import("./graph-command.js")).runGraph(a, io, color);
      case "report":
        return await (await import("./report-command.js")).runReport(a, io, color);
      case "job":
        return await (await import("./job-command.js")).runJob(a, io, color);
      case "status":
        return await (await import("./status-command.js")).runStatus(a, io, color);
      case "log":
        return await (await import("./log-command.js")).runLog(a, io);
      case "cache":
        return await (await import("./cache-command.js")).runCache(a, io);
      default:
        io.stderr(`stagecraft: unknown command '${a.command}'${suggestCommand(a.command)}\n${USAGE}`);
        return EXIT.usage;
    }
  } catch (err: unknown) {
    // No permission, a read-only or full disk: the machine's problem, told in one line.
    const env = describeEnvironmentError(err);
    if (env !== undefined) {
      io.stderr(`stagecraft${argv[0] ? ` ${argv[0]}` : ""}: ${env}\n`);
      return EXIT.errors;
    }
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.stderr(`stagecraft: internal error (SC9001), please report it:\n${msg}\n`);
    return EXIT.internal;
  }
}

/** " (did you mean 'check'?)" for a near miss of a command's name, or nothing. */
function suggestCommand(word: string | undefined): string {
  const hint = word ? didYouMean(word, Object.keys(COMMAND_OPTIONS)) : undefined;
  return hint ? ` (${hint})` : "";
}
