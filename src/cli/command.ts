import { Command, CommanderError, Option } from "commander";
import { InterruptedError, exitCodeOf, type StopSignal } from "../util/errors.js";
import { CliError, EXIT } from "./errors.js";
import { describeError } from "./format-error.js";
import { flag, kebab, type Flag, type FlagSpecs, type FlagValues } from "./flags.js";

/**
 * One way to define a command (docs/cli.md). A command is a name, a summary, documented flags, examples and
 * a `run` function; `runCommand` parses argv (commander), validates every flag once (zod), runs, and owns
 * the process's ending:
 *   exit 0 done; 2 usage error naming the flag (nothing was done); 1 runtime error as the one line
 *   `command: code at field: message` (no stack trace unless --debug); 130 / 143 stopped by SIGINT / SIGTERM.
 * The first SIGINT or SIGTERM aborts `ctx.signal` (the command stops at its next safe point and keeps what
 * finished); a second one, later than a moment after the first, exits at once.
 */

export interface PositionalSpec {
  /** Shown in --help, e.g. "FILE". */
  readonly name: string;
  readonly description: string;
  /** Several values (FILE...). */
  readonly variadic?: boolean;
  /** At least one value is required. */
  readonly required?: boolean;
}

export interface CommandContext {
  /** The command's name as users type it ("npm run train"). */
  readonly name: string;
  /** The command line, for provenance ("npm run train -- --steps 1000"). */
  readonly commandLine: string;
  /** Aborted by the first SIGINT/SIGTERM, with an InterruptedError as its reason. */
  readonly signal: AbortSignal;
  /** --json: stdout carries only the JSON line (ctx.out); everything else goes to stderr. */
  readonly json: boolean;
  /** --debug: errors print their stack trace. */
  readonly debug: boolean;
  /** Positional arguments. */
  readonly args: readonly string[];
  /** A line of information or progress: stdout, or stderr with --json. */
  log(line: string): void;
  /** Raw text on the log stream (progress bars redraw with "\r"). */
  write(text: string): void;
  /** Whether the log stream is a terminal. */
  readonly isTTY: boolean;
  /** A warning: always stderr. */
  warn(line: string): void;
  /** The --json result: one line on stdout (ignored without --json). */
  out(value: unknown): void;
}

export interface CommandSpec<S extends FlagSpecs> {
  /** As users type it: "npm run train", "npm start". */
  readonly name: string;
  /** One line. */
  readonly summary: string;
  /** More text for --help (what it writes, where the docs are). */
  readonly description?: string;
  readonly flags: S;
  readonly positionals?: PositionalSpec;
  /** Whole command lines, shown under "Examples:" in --help. */
  readonly examples: readonly string[];
  /** Adds --json (ctx.json / ctx.out). */
  readonly json?: boolean;
  /**
   * true: the command polls ctx.signal and stops at a safe point on the first signal (long jobs). false
   * (default): the first signal exits at once with 130/143 (commands with nothing to wind down).
   */
  readonly interruptible?: boolean;
  /** Checks across flags (throw CliError("conflicting_flags", …, "--end")). */
  readonly check?: (flags: FlagValues<S>, args: readonly string[]) => void;
  readonly run: (flags: FlagValues<S>, ctx: CommandContext) => Promise<number | void> | number | void;
}

export interface CommandDefinition<S extends FlagSpecs> extends CommandSpec<S> {
  /** The --help text. */
  help(): string;
  /** Parses and validates argv (without running); throws CliError. */
  parse(argv: readonly string[]): { readonly flags: FlagValues<S>; readonly args: readonly string[]; readonly help: boolean; readonly debug: boolean; readonly json: boolean };
}

const BUILTIN = {
  help: flag.switch("show this help and exit", { short: "h" }),
  debug: flag.switch("print the stack trace of an error (for bug reports)"),
};
const JSON_FLAG = flag.switch("print one JSON object on stdout (its only line); everything else goes to stderr");

function allFlags(spec: CommandSpec<FlagSpecs>): [string, Flag<unknown>][] {
  return [...Object.entries(spec.flags), ...(spec.json === true ? [["json", JSON_FLAG] as [string, Flag<unknown>]] : []), ...Object.entries(BUILTIN)];
}

function optionName(key: string, f: Flag<unknown>): string {
  return f.kind === "off-switch" ? `no-${kebab(key)}` : kebab(key);
}

function buildProgram(spec: CommandSpec<FlagSpecs>): Command {
  const program = new Command(spec.name)
    .description(spec.description === undefined ? spec.summary : `${spec.summary}\n\n${spec.description}`)
    .helpOption(false)
    .allowExcessArguments(false)
    .allowUnknownOption(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .configureHelp({ helpWidth: 110, sortOptions: false });
  program.usage(`-- ${spec.positionals ? `${spec.positionals.required ? "" : "["}${spec.positionals.name}${spec.positionals.variadic ? " ..." : ""}${spec.positionals.required ? "" : "]"} ` : ""}[flags]`);
  for (const [key, f] of allFlags(spec)) {
    const name = optionName(key, f);
    const short = f.short === undefined ? "" : `-${f.short}, `;
    const value = f.kind === "value" || f.kind === "list" ? ` <${f.placeholder}>` : "";
    const more = f.kind === "list" ? " (repeat the flag or separate with commas)" : "";
    const dflt = f.kind === "switch" || f.kind === "off-switch" || key === "help" ? "" : ` (default: ${f.defaultText})`;
    const opt = new Option(`${short}--${name}${value}`, `${f.description}${more}${dflt}`);
    if (f.kind === "list") opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    program.addOption(opt);
  }
  if (spec.positionals) {
    const p = spec.positionals;
    program.argument(`${p.required ? "<" : "["}${p.name}${p.variadic ? "..." : ""}${p.required ? ">" : "]"}`, p.description);
  }
  return program;
}

/** Commander's parse errors as usage errors naming the flag. */
function usageError(err: CommanderError): CliError {
  const flagIn = (m: string): string | undefined => /'(-[^' <]+)/.exec(m)?.[1];
  const msg = err.message.replace(/^error: /, "");
  switch (err.code) {
    case "commander.unknownOption":
      return new CliError("unknown_flag", `no such flag${/Did you mean (\S+)\?/.test(msg) ? ` (did you mean ${/Did you mean (\S+)\?/.exec(msg)![1]}?)` : ""}`, flagIn(msg) ?? "?");
    case "commander.optionMissingArgument":
      return new CliError("missing_value", "this flag needs a value", flagIn(msg) ?? "?");
    case "commander.missingArgument":
      return new CliError("missing_value", "a required argument is missing", /'([^']+)'/.exec(msg)?.[1]?.toUpperCase() ?? "argument");
    case "commander.excessArguments":
      return new CliError("unexpected_argument", msg.replace(/\.$/, ""), "argument");
    default:
      return new CliError("invalid_flag", msg, flagIn(msg) ?? "?");
  }
}

export function defineCommand<S extends FlagSpecs>(spec: CommandSpec<S>): CommandDefinition<S> {
  const wide = spec as unknown as CommandSpec<FlagSpecs>;
  for (const key of Object.keys(spec.flags)) {
    if (key in BUILTIN || (key === "json" && spec.json === true)) throw new Error(`${spec.name}: flag --${key} is built in`);
  }
  return {
    ...spec,
    help: () => buildProgram(wide).helpInformation() + `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join("\n")}\n`,
    parse: (argv) => {
      const program = buildProgram(wide);
      try {
        program.parse([...argv], { from: "user" });
      } catch (err) {
        if (err instanceof CommanderError) {
          // --help with a bad flag elsewhere still shows the help.
          if (argv.includes("--help") || argv.includes("-h")) return { flags: {} as FlagValues<S>, args: [], help: true, debug: false, json: false };
          throw usageError(err);
        }
        throw err;
      }
      const raw = program.opts() as Record<string, unknown>;
      const args = program.args;
      if (raw["help"] === true) return { flags: {} as FlagValues<S>, args, help: true, debug: raw["debug"] === true, json: false };
      const values: Record<string, unknown> = {};
      for (const [key, f] of allFlags(wide)) {
        // commander camel-cases `--train-start` to `trainStart` and `--no-report` to `report`.
        const parsed = f.schema.safeParse(raw[key]);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          const date = /^bad_date: (.*)$/.exec(issue.message);
          throw new CliError(date ? "bad_date" : "invalid_flag", date ? date[1]! : issue.message, `--${optionName(key, f)}`);
        }
        values[key] = parsed.data;
      }
      const flags = values as FlagValues<S>;
      spec.check?.(flags, args);
      return { flags, args, help: false, debug: values["debug"] === true, json: values["json"] === true };
    },
  };
}

/** A place named by an error (a config field "trainStart", a flag name) as the flag users typed. */
function placeAsFlag(spec: CommandSpec<FlagSpecs>): (place: string) => string {
  const byKey = new Map<string, string>();
  for (const [key, f] of allFlags(spec)) {
    const name = `--${optionName(key, f)}`;
    byKey.set(key, name);
    byKey.set(kebab(key), name);
    byKey.set(name, name);
  }
  return (place) => byKey.get(place) ?? place;
}

/** How long after the first signal another one counts as the same (npm forwards the terminal's Ctrl-C to its child, which got it already). */
const SAME_SIGNAL_MS = 500;

export interface RunOptions {
  /** Exit the process at the end (default true; tests of runCommand in-process pass false). */
  readonly exit?: boolean;
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr?: NodeJS.WritableStream;
}

/**
 * Runs a command on argv (default: process.argv.slice(2)) and exits with its status. Never throws: every
 * error becomes one line on stderr.
 */
export async function runCommand<S extends FlagSpecs>(cmd: CommandDefinition<S>, argv: readonly string[] = process.argv.slice(2), opts: RunOptions = {}): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const wide = cmd as unknown as CommandSpec<FlagSpecs>;
  const asFlag = placeAsFlag(wide);
  let debug = argv.includes("--debug");
  const errLine = (line: string) => void stderr.write(`${line}\n`);

  const report = (err: unknown): number => {
    if (err instanceof InterruptedError) {
      errLine(`${cmd.name}: interrupted: ${err.message}`);
      return exitCodeOf(err.signal);
    }
    const d = describeError(err);
    const place = d.place === undefined ? "" : ` at ${asFlag(d.place)}`;
    if (err instanceof CliError) {
      errLine(`${cmd.name}: ${d.code}${place}: ${d.message}`);
      errLine(`(${cmd.name} -- --help lists every flag)`);
      return EXIT.usage;
    }
    errLine(`${cmd.name}: ${d.code}${place}: ${d.message}`);
    if (debug && err instanceof Error && err.stack !== undefined) errLine(err.stack);
    else if (!d.known) errLine(`(this looks like a bug: run again with --debug for the stack trace)`);
    return EXIT.error;
  };

  const finish = (code: number): number => {
    cleanup();
    if (opts.exit !== false) process.exit(code);
    return code;
  };

  // Errors thrown outside the run's promise chain. Prepended, so that they run before the handlers some
  // libraries install (Emscripten's in tfjs's WASM backend rethrows, which prints ~40 KB of minified code).
  const onFatal = (err: unknown): void => {
    finish(report(err));
  };
  process.prependListener("uncaughtException", onFatal);
  process.prependListener("unhandledRejection", onFatal);

  const controller = new AbortController();
  let first: { signal: StopSignal; at: number } | null = null;
  const onSignal = (signal: StopSignal): void => {
    const now = performance.now();
    if (first === null) {
      first = { signal, at: now };
      if (cmd.interruptible === true) {
        errLine(`\n${cmd.name}: ${signal}: stopping at the next safe point, keeping what finished (send it again to exit at once)`);
        controller.abort(new InterruptedError(signal));
      } else {
        errLine(`\n${cmd.name}: ${signal}: stopped`);
        finish(exitCodeOf(signal));
      }
      return;
    }
    if (now - first.at < SAME_SIGNAL_MS) return;
    errLine(`${cmd.name}: ${signal} again: exiting now`);
    finish(exitCodeOf(first.signal));
  };
  const stoppedBy = (): StopSignal | null => (first as { signal: StopSignal } | null)?.signal ?? null;
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  const cleanup = (): void => {
    process.removeListener("uncaughtException", onFatal);
    process.removeListener("unhandledRejection", onFatal);
    process.removeListener("SIGINT", onInt);
    process.removeListener("SIGTERM", onTerm);
  };

  let parsed: ReturnType<CommandDefinition<S>["parse"]>;
  try {
    parsed = cmd.parse(argv);
  } catch (err) {
    return finish(report(err));
  }
  if (parsed.help) {
    stdout.write(cmd.help());
    return finish(EXIT.ok);
  }
  debug = parsed.debug;
  const json = parsed.json;
  const logStream = json ? stderr : stdout;
  const ctx: CommandContext = {
    name: cmd.name,
    commandLine: `${cmd.name}${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
    signal: controller.signal,
    json,
    debug,
    args: parsed.args,
    log: (line) => void logStream.write(`${line}\n`),
    write: (text) => void logStream.write(text),
    isTTY: (logStream as { isTTY?: boolean }).isTTY === true,
    warn: (line) => errLine(line),
    out: (value) => {
      if (json) stdout.write(`${JSON.stringify(value)}\n`);
    },
  };
  let code: number;
  try {
    const r = await cmd.run(parsed.flags, ctx);
    code = typeof r === "number" ? r : EXIT.ok;
    const stopped = stoppedBy();
    if (stopped !== null && code === EXIT.ok) code = exitCodeOf(stopped);
  } catch (err) {
    const stopped = stoppedBy();
    code = report(stopped !== null && !(err instanceof InterruptedError) && describeError(err).code === "aborted" ? new InterruptedError(stopped, describeError(err).message) : err);
  }
  return finish(code);
}
