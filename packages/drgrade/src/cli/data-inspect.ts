import { resolve } from 'node:path';
import { checkImages } from '../data/check-images.ts';
import { formatProblems } from '../data/problem-list.ts';
import { readDataset } from '../data/read-dataset.ts';
import { summarize } from '../data/summary.ts';
import { GRADES, hasErrors } from '../data/types.ts';
import { Progress } from '../util/progress.ts';
import { booleanOption } from './args.ts';
import type { Command } from './command.ts';
import { FORMAT_OPTION, JSON_LISTS_ALL, SKIP_BAD_OPTION, formatOption } from './dataset-options.ts';

export const dataInspectCommand: Command = {
  name: 'data inspect',
  summary: 'check a data set: format, images, patients, grades, sizes and every problem',
  details: [
    'Reads the labels, checks that every listed image exists inside the folder, is an intact JPEG/PNG and shows a gradable fundus',
    '(not black, blank, tiny, far out of focus or exposure), and lists each problem with its file and line.',
    'Exit status 1 if there is an error, unless --skip-bad.',
  ].join('\n'),
  positionals: [{ name: 'root', description: 'data-set folder (or a path,grade CSV)', required: true }],
  options: [
    FORMAT_OPTION,
    { name: 'json', type: 'boolean', description: 'print the report as JSON on stdout' },
    { name: 'headers-only', type: 'boolean', description: 'check headers and file structure only, without decoding the pixels (no gradability check; fast on large sets)' },
    SKIP_BAD_OPTION,
  ],
  examples: ['drgrade data inspect ~/data/IDRiD', 'drgrade data inspect ./labels.csv --format csv --json'],
  async run(args, context) {
    const dataset = readDataset(resolve(context.cwd, args.positionals.root as string), formatOption(args));
    const progress = new Progress(context.stderr, dataset.items.length, 'checking images');
    const checked = await checkImages(dataset, { gradability: !booleanOption(args, 'headers-only'), onProgress: () => progress.tick() });
    progress.finish();
    const problems = [...dataset.problems, ...checked.problems];
    const summary = summarize(checked.items, checked.sizes);
    const failed = hasErrors(problems) && !booleanOption(args, 'skip-bad');
    if (booleanOption(args, 'json')) {
      context.stdout.write(`${JSON.stringify({ format: dataset.format, root: dataset.root, ...summary, labelFiles: dataset.labelFiles, problems, ok: !failed }, null, 2)}\n`);
      return failed ? 1 : 0;
    }
    const out: string[] = [];
    out.push(`format: ${dataset.format}`);
    out.push(`root: ${dataset.root}`);
    out.push(`images: ${summary.images}   patients: ${summary.patients}`);
    const n = Math.max(1, summary.images);
    out.push(`grades: ${GRADES.map((g) => `${g}: ${summary.grades[g]} (${((100 * summary.grades[g]) / n).toFixed(1)}%)`).join('  ')}`);
    if (summary.width && summary.height) {
      out.push(`image size: width ${summary.width.min}..${summary.width.max}, height ${summary.height.min}..${summary.height.max}`);
    }
    context.stdout.write(`${out.join('\n')}\n${formatProblems(problems, 200, JSON_LISTS_ALL)}`);
    if (hasErrors(problems)) {
      context.stdout.write(failed
        ? 'the data set has errors: fix them, or pass --skip-bad to leave those images out\n'
        : `--skip-bad: the entries with errors above are left out; ${summary.images} image(s) usable\n`);
    }
    return failed ? 1 : 0;
  },
};
