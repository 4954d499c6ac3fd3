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

export function formatOption(args: ParsedArgs): DatasetFormat | 'auto' {
  return (args.options.format as DatasetFormat | 'auto' | undefined) ?? 'auto';
}
