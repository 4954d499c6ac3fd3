import { resolve } from 'node:path';
import { readFoldsFile, stratifiedGroupKFold, writeFoldsFile, type FoldAssignment } from '../data/folds.ts';
import { formatProblems } from '../data/problem-list.ts';
import { readDataset } from '../data/read-dataset.ts';
import { GRADES, hasErrors, type DataItem } from '../data/types.ts';
import { UserError } from '../util/errors.ts';
import { booleanOption, numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { FOLDS_FILE_REFUSED, FORMAT_OPTION, SKIP_BAD_OPTION, formatOption } from './dataset-options.ts';

/** One line per fold: images, patients and images per grade, so the balance can be seen. */
function foldTable(items: readonly DataItem[], folds: FoldAssignment): string {
  const k = Math.max(...folds.values()) + 1;
  const lines = [`fold  images  patients  grades ${GRADES.join('/')}`];
  for (let f = 0; f < k; f++) {
    const inFold = items.filter((i) => folds.get(i.id) === f);
    const grades = GRADES.map((g) => inFold.filter((i) => i.grade === g).length).join('/');
    lines.push(`${String(f).padStart(4)}  ${String(inFold.length).padStart(6)}  ${String(new Set(inFold.map((i) => i.group)).size).padStart(8)}  ${grades}`);
  }
  return `${lines.join('\n')}\n`;
}

export const dataFoldsCommand: Command = {
  name: 'data folds',
  summary: 'assign cross-validation folds (stratified by grade, patients kept together) or check a folds file',
  details: 'Writes an id,fold CSV that training and evaluation read with --folds-file, so runs (and other tools) use identical folds. With --check, reads such a file and reports what does not fit the data set.',
  positionals: [{ name: 'root', description: 'data-set folder', required: true }],
  options: [
    FORMAT_OPTION,
    { name: 'k', type: 'integer', default: 5, placeholder: '<folds>', description: 'number of folds' },
    { name: 'seed', type: 'integer', default: 0, placeholder: '<int>', description: 'random seed of the assignment' },
    { name: 'out', type: 'string', placeholder: '<file.csv>', description: 'where to write the id,fold CSV' },
    { name: 'check', type: 'string', placeholder: '<file.csv>', description: 'check an existing folds file instead of writing one' },
    SKIP_BAD_OPTION,
  ],
  examples: ['drgrade data folds ~/data/IDRiD --k 5 --seed 0 --out folds.csv', 'drgrade data folds ~/data/IDRiD --check other-tool-folds.csv'],
  async run(args, context) {
    const out = stringOption(args, 'out');
    const check = stringOption(args, 'check');
    if (!out === !check) throw new UserError('give either --out <file.csv> (write folds) or --check <file.csv> (check a folds file)');
    const dataset = readDataset(resolve(context.cwd, args.positionals.root as string), formatOption(args));
    if (dataset.problems.length > 0) context.stderr.write(formatProblems(dataset.problems, 50));
    if (hasErrors(dataset.problems) && !booleanOption(args, 'skip-bad')) {
      context.stderr.write('stopped: fix the errors above, or pass --skip-bad to leave those images out\n');
      return 1;
    }
    if (check) {
      const { folds, problems } = readFoldsFile(resolve(context.cwd, check), dataset.items);
      if (problems.length > 0) context.stdout.write(formatProblems(problems));
      if (folds.size > 0) context.stdout.write(foldTable(dataset.items, folds));
      if (hasErrors(problems)) throw new UserError(`${resolve(context.cwd, check)}: ${FOLDS_FILE_REFUSED}`);
      return 0;
    }
    const folds = stratifiedGroupKFold(dataset.items, numberOption(args, 'k') as number, numberOption(args, 'seed') as number);
    writeFoldsFile(resolve(context.cwd, out as string), folds);
    context.stdout.write(`${foldTable(dataset.items, folds)}wrote ${out}\n`);
    return 0;
  },
};
