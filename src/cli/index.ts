/**
 * The command line: one way to define a command (flags, --help, exit statuses, the one-line error, clean
 * stops on signals). Every script in scripts/ is `await runCommand(defineCommand({...}))`; see docs/cli.md.
 */
export { defineCommand, runCommand, type CommandContext, type CommandDefinition, type CommandSpec, type PositionalSpec, type RunOptions } from "./command.js";
export { CliError, EXIT, type CliErrorCode } from "./errors.js";
export { flag, forceFlag, kebab, type Flag, type FlagSpecs, type FlagValues } from "./flags.js";
export { describeError, formatError, type DescribedError } from "./format-error.js";
