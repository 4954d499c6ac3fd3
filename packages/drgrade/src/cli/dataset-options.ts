import { DATASET_FORMATS, type DatasetFormat } from '../data/types.ts';
import type { OptionSpec, ParsedArgs } from './args.ts';

/** `--format`, shared by every command that reads a data set. */
export const FORMAT_OPTION: OptionSpec = {
  name: 'format',
  type: 'string',
  choices: ['auto', ...DATASET_FORMATS],
  default: 'auto',
  placeholder: '<format>',
  description: `data-set layout: auto (detect), ${DATASET_FORMATS.join(', ')}`,
};

export const SKIP_BAD_OPTION: OptionSpec = {
  name: 'skip-bad',
  type: 'boolean',
  description: 'continue past bad images and labels (they are skipped and listed) instead of stopping',
};

/**
 * What `data folds --check` and `train --folds-file` both say of a folds file with errors (after
 * listing its problems): one rule for both, errors refuse the file and warnings are only listed.
 */
export const FOLDS_FILE_REFUSED = 'the folds file has errors (listed above); fix them, or write a new one with drgrade data folds --out';

/** Where a command with --json points for the problems its text output leaves out. */
export const JSON_LISTS_ALL = 'use --json for all';

export function formatOption(args: ParsedArgs): DatasetFormat | 'auto' {
  return (args.options.format as DatasetFormat | 'auto' | undefined) ?? 'auto';
}
