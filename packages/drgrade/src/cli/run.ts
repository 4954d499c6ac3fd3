import { SafetensorsError, StateDictError } from '@drgrade/nn';
import { AdapterLimitError, NoAdapterError } from '@drgrade/tensor';
import { DRGRADE_VERSION } from '../version.ts';
import { ImageDecodeError, UsageError, UserError, errorMessage, fileSystemMessage } from '../util/errors.ts';
import { parseArgs, suggest } from './args.ts';
import type { CliContext, Command } from './command.ts';
import { COMMANDS } from './commands.ts';
import { commandHelp, globalHelp } from './help.ts';

/** The command whose (possibly multi-word) name starts argv, longest name first. */
function findCommand(argv: readonly string[], commands: readonly Command[]): { command: Command; rest: string[] } | null {
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const command of sorted) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return null;
}

/**
 * What a failure tells the user: the message of an error their input or their machine caused (a
 * UserError, a file that is not an image or not safetensors, a path the file system refuses, no
 * WebGPU adapter, a tensor past the adapter's limits), or null for a bug.
 */
function userMessage(error: unknown): string | null {
  if (error instanceof UserError || error instanceof ImageDecodeError || error instanceof SafetensorsError || error instanceof StateDictError) return error.message;
  if (error instanceof NoAdapterError || error instanceof AdapterLimitError) return error.message;
  return fileSystemMessage(error);
}

/** Prints a failure of `drgrade <name>` as one line; the stack trace only with DRGRADE_DEBUG=1. */
function reportFailure(name: string, error: unknown, context: CliContext): number {
  const message = userMessage(error);
  if (process.env.DRGRADE_DEBUG === '1' && error instanceof Error) context.stderr.write(`${error.stack}\n`);
  if (message !== null) {
    context.stderr.write(`drgrade ${name}: ${message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
  context.stderr.write(`drgrade ${name}: internal error: ${errorMessage(error)} (a bug in drgrade: run again with DRGRADE_DEBUG=1 for the stack trace and report it)\n`);
  return 1;
}

/**
 * Runs `drgrade <argv>` and returns the exit status: 0 success, 1 a failure (bad data, files,
 * configuration), 2 a usage error. Every failure is printed as `drgrade <command>: ...` without
 * a stack trace (DRGRADE_DEBUG=1 adds it).
 */
export async function runCli(argv: readonly string[], context: CliContext, commands: readonly Command[] = COMMANDS): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    context.stdout.write(globalHelp(commands));
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    context.stdout.write(`drgrade ${DRGRADE_VERSION}\n`);
    return 0;
  }
  const found = findCommand(argv, commands);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${first} `));
    if (group.length > 0) {
      const second = argv[1];
      if (second === undefined || second === '--help' || second === '-h') {
        context.stdout.write(globalHelp(commands, `${first} `));
        return second === undefined ? 2 : 0;
      }
      const words = group.map((c) => c.name.split(' ')[1] as string);
      context.stderr.write(`drgrade: unknown command "${first} ${second}"${suggest(second, words, `${first} `)}; run "drgrade ${first} --help" for the list\n`);
      return 2;
    }
    const names = [...new Set(commands.map((c) => c.name.split(' ')[0] as string))];
    context.stderr.write(`drgrade: unknown command "${first}"${suggest(first, names, '')}; run "drgrade --help" for the list\n`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout.write(commandHelp(command));
    return 0;
  }
  let args;
  try {
    args = parseArgs(rest, command.positionals, command.options);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    context.stderr.write(`drgrade ${command.name}: ${error.message}\nRun "drgrade ${command.name} --help" for usage.\n`);
    return 2;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    return reportFailure(command.name, error, context);
  }
}
