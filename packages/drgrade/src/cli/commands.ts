import type { Command } from './command.ts';
import { dataFoldsCommand } from './data-folds.ts';
import { dataInspectCommand } from './data-inspect.ts';
import { preprocessCommand } from './preprocess.ts';
import { synthCommand } from './synth.ts';

/**
 * Every `drgrade` subcommand, in the order `drgrade --help` lists them. A new command is one
 * module exporting a Command plus one line here.
 */
export const COMMANDS: readonly Command[] = [dataInspectCommand, dataFoldsCommand, preprocessCommand, synthCommand];
