import { resolve } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { DataLoader } from '../data/loader.ts';
import { readDataset } from '../data/read-dataset.ts';
import { hasErrors } from '../data/types.ts';
import { preprocessOptions } from '../infer/predict.ts';
import { evaluate } from '../train/evaluate.ts';
import { GRADE_NAMES } from '../report/index.ts';
import { UserError } from '../util/errors.ts';
import { booleanOption, numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { FORMAT_OPTION, SKIP_BAD_OPTION, formatOption } from './dataset-options.ts';
import { readModelFile } from './model-file.ts';
import { formatProblems } from './problem-report.ts';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a trained model on a labelled data set: kappa, accuracy, per-class accuracy, confusion matrix',
  positionals: [],
  options: [
    { name: 'checkpoint', type: 'string', required: true, placeholder: '<model.safetensors>', description: 'model file' },
    { name: 'data', type: 'string', required: true, placeholder: '<dir>', description: 'data-set folder' },
    FORMAT_OPTION,
    { name: 'tta', type: 'boolean', description: 'average over flips' },
    { name: 'json', type: 'boolean', description: 'print the result as JSON' },
    { name: 'workers', type: 'integer', placeholder: '<n>', description: 'image decoding threads' },
    SKIP_BAD_OPTION,
  ],
  async run(args, context) {
    await getDevice();
    const { model, config } = readModelFile(resolve(context.cwd, stringOption(args, 'checkpoint') as string));
    const ds = readDataset(resolve(context.cwd, stringOption(args, 'data') as string), formatOption(args));
    if (ds.problems.length) context.stderr.write(formatProblems(ds.problems, 50));
    if (hasErrors(ds.problems) && !booleanOption(args, 'skip-bad')) throw new UserError('the data set has errors (listed above); pass --skip-bad to evaluate the rest');
    const workers = numberOption(args, 'workers');
    const loader = new DataLoader({
      items: ds.items, batchSize: config.train.evalBatchSize, imageSize: config.data.imageSize, shuffle: false, augment: null,
      mean: config.data.normalize.mean as [number, number, number], std: config.data.normalize.std as [number, number, number],
      preprocess: preprocessOptions(config), ...(workers !== undefined ? { workers } : {}),
    });
    const ev = await evaluate(model, loader, { tta: booleanOption(args, 'tta') });
    await loader.close();
    model.dispose();
    const result = { images: ev.grades.length, kappa: ev.kappa, accuracy: ev.accuracy, perClassAccuracy: ev.perClassAccuracy, confusion: ev.confusion };
    if (booleanOption(args, 'json')) { context.stdout.write(`${JSON.stringify(result, null, 2)}\n`); return 0; }
    context.stdout.write(`${ev.grades.length} images: quadratic weighted kappa ${ev.kappa.toFixed(4)}, accuracy ${ev.accuracy.toFixed(4)}\n`);
    context.stdout.write(`per-class accuracy: ${ev.perClassAccuracy.map((a, i) => `${i} ${GRADE_NAMES[i]} ${a === null ? '–' : a.toFixed(3)}`).join(', ')}\n`);
    context.stdout.write(`confusion matrix (rows true, columns predicted):\n${ev.confusion.map((r) => r.map((v) => String(v).padStart(5)).join('')).join('\n')}\n`);
    return 0;
  },
};
