import { resolve } from 'node:path';
import { writeReport } from '../train/cross-validation.ts';
import { checkFoldResults } from '../train/run-folder.ts';
import { UserError } from '../util/errors.ts';
import { stringOption } from './args.ts';
import type { Command } from './command.ts';

export const reportCommand: Command = {
  name: 'report',
  summary: 'merge the finished folds of one or more run folders into report.html and report.json',
  details: 'Use after folds were trained as separate jobs (drgrade train --fold k). Each argument is a run folder or a fold-k folder.',
  positionals: [{ name: 'run-dir', description: 'run folder(s)', required: true, variadic: true }],
  options: [
    { name: 'out', type: 'string', placeholder: '<file.html>', description: 'report path (default <first run-dir>/report.html)' },
    { name: 'dataset', type: 'string', default: '', placeholder: '<name>', description: 'data-set name shown in the report' },
  ],
  examples: ['drgrade report runs/cv', 'drgrade report runs/fold0 runs/fold1 runs/fold2 --out runs/cv-report.html'],
  async run(args, context) {
    const dirs = args.rest.map((d) => resolve(context.cwd, d));
    const out = resolve(context.cwd, stringOption(args, 'out') ?? `${dirs[0]}/report.html`);
    checkFoldResults(dirs);
    const summary = await writeReport(dirs, out, stringOption(args, 'dataset') as string);
    if (summary.folds.length === 0) throw new UserError(`no finished folds (fold-k/result.json) under ${dirs.join(', ')}`);
    context.stdout.write(`${summary.folds.length} fold(s): kappa ${summary.kappaMean.toFixed(4)} ± ${summary.kappaStd.toFixed(4)}, accuracy ${summary.accuracyMean.toFixed(3)}\nreport: ${out}\n`);
    return 0;
  },
};
