import type { OptionSpec, ParsedArgs, PositionalSpec } from './args.ts';

/** Where a command writes; tests pass collecting streams. */
export interface CliContext {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  cwd: string;
}

/**
 * A `drgrade` subcommand. `name` may have several words (`data inspect`); the registry in
 * commands.ts lists them all, and help is generated from these declarations.
 */
export interface Command {
  name: string;
  summary: string;
  /** Longer help text (plain lines). */
  details?: string;
  positionals: PositionalSpec[];
  options: OptionSpec[];
  examples?: string[];
  /** Exit status: 0 success, 1 problems in the data, 2 usage errors are raised as UserError. */
  run(args: ParsedArgs, context: CliContext): Promise<number>;
}
