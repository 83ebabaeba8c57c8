/** Command-line arguments: a command, positional words, boolean flags and flags with values. */
export interface Args {
  readonly command: string | undefined;
  readonly positional: readonly string[];
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly errors: readonly string[];
}

/** Flags that take a value (`--jobs 4` or `--jobs=4`); `--force` may stand alone or name stages. */
const VALUED = new Set(["--out", "--cache-dir", "--from", "--until", "--only", "--jobs", "-j", "--backend", "--to", "--format", "--keep-last", "--max-size", "--executor", "--fingerprint"]);
const OPTIONAL_VALUE = new Set(["--force"]);
const BOOLEAN = new Set([
  "--json", "--yaml", "--check", "--write", "--color", "--no-color", "--help", "-h", "--exit-code", "--keep-going", "--detach", "--all", "--cancel-on-interrupt",
]);

/** What plan and run share: the cache, the backend, the executor and the selection. */
const SESSION = ["--cache-dir", "--backend", "--executor", "--force", "--from", "--until", "--only"];

/** The options each command reads, besides --color, --no-color and --help, which all take. */
export const COMMAND_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  check: ["--json"],
  fmt: ["--check", "--write"],
  plan: [...SESSION, "--json", "--yaml", "--all", "--exit-code"],
  run: [...SESSION, "--json", "--jobs", "--keep-going", "--detach", "--cancel-on-interrupt"],
  replay: ["--cache-dir", "--backend", "--to", "--force"],
  graph: ["--format", "--all"],
  report: ["--cache-dir", "--backend", "--out", "--to"],
  status: ["--cache-dir", "--backend", "--executor", "--json", "--all"],
  job: [...SESSION, "--fingerprint", "--jobs"],
  log: ["--cache-dir", "--json"],
  cache: ["--cache-dir", "--keep-last", "--max-size"],
};
const EVERYWHERE = new Set(["--color", "--no-color", "--help", "-h"]);

/** The words each command takes besides options, for the message when more are given. */
const POSITIONALS: Readonly<Record<string, readonly string[]>> = {
  plan: ["FILE"], run: ["FILE"], replay: ["FILE", "STAGE"], graph: ["FILE"], report: ["FILE"],
  status: ["FILE"], job: ["FILE", "NODE"], log: ["RUN"], cache: ["ls|verify|gc"],
};

/** Words given past those `command` takes (check and fmt take any number of files). */
export function extraWords(command: string, a: Args): { readonly extra: readonly string[]; readonly takes: string } | undefined {
  const takes = POSITIONALS[command];
  if (!takes || a.positional.length <= takes.length) return undefined;
  return { extra: a.positional.slice(takes.length), takes: takes.join(" ") };
}

/** Options given that `command` does not read: an error rather than silently ignored. */
export function optionsNotFor(command: string, a: Args): string[] {
  const allowed = COMMAND_OPTIONS[command];
  if (!allowed) return [];
  const given = [...a.flags, ...a.values.keys()];
  return given.filter((k) => !EVERYWHERE.has(k) && !allowed.includes(k));
}

export function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  const positional: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  const errors: string[] = [];
  const add = (k: string, v: string) => {
    const parts = v.split(",").filter(Boolean);
    // An empty value (--max-size "") is a mistake, not "no limit".
    if (parts.length === 0) errors.push(`${k} needs a value`);
    values.set(k === "-j" ? "--jobs" : k, [...(values.get(k === "-j" ? "--jobs" : k) ?? []), ...parts]);
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith("-") || a === "-") {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(0, eq) : a;
    if (VALUED.has(key)) {
      const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined) errors.push(`${key} needs a value`);
      // `--cache-dir --json` forgot the value: an option is never taken as one (write --cache-dir=--x).
      else if (eq < 0 && (BOOLEAN.has(v) || VALUED.has(v) || OPTIONAL_VALUE.has(v.split("=")[0]!))) {
        errors.push(`${key} needs a value, and '${v}' is an option`);
        i--;
      } else add(key, v);
    } else if (OPTIONAL_VALUE.has(key)) {
      flags.add(key);
      if (eq > 0) add(key, a.slice(eq + 1));
    } else if (BOOLEAN.has(key)) flags.add(key);
    else errors.push(`unknown option ${a}`);
  }
  return { command, positional, flags, values, errors };
}

export function first(a: Args, key: string): string | undefined {
  return a.values.get(key)?.[0];
}
