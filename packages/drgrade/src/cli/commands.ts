import type { Command } from './command.ts';
import { compareCommand } from './compare.ts';
import { configDocsCommand, configShowCommand } from './config.ts';
import { dataFoldsCommand } from './data-folds.ts';
import { dataInspectCommand } from './data-inspect.ts';
import { ensembleCommand } from './ensemble.ts';
import { evalCommand } from './eval.ts';
import { gradcamCommand } from './gradcam.ts';
import { predictCommand } from './predict.ts';
import { preprocessCommand } from './preprocess.ts';
import { reportCommand } from './report.ts';
import { serveCommand } from './serve.ts';
import { synthCommand } from './synth.ts';
import { trainCommand } from './train.ts';

/**
 * Every `drgrade` subcommand, in the order `drgrade --help` lists them. A new command is one
 * module exporting a Command plus one line here.
 */
export const COMMANDS: readonly Command[] = [
  trainCommand, evalCommand, predictCommand, gradcamCommand, ensembleCommand, reportCommand, compareCommand, configShowCommand, configDocsCommand,
  dataInspectCommand, dataFoldsCommand, preprocessCommand, synthCommand, serveCommand,
];
