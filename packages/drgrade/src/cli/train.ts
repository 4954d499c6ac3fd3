import { resolve } from 'node:path';
import { getDevice, describeDevice } from '@drgrade/tensor';
import { loadConfig, PRESET_NAMES } from '../config/index.ts';
import { runTraining, SYNTHETIC_DEFAULT } from '../train/cross-validation.ts';
import { UserError } from '../util/errors.ts';
import { booleanOption, numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { FORMAT_OPTION, SKIP_BAD_OPTION, formatOption } from './dataset-options.ts';

export const trainCommand: Command = {
  name: 'train',
  summary: 'cross-validated training of a configuration on a data set (or on a synthetic one)',
  details: [
    'Preprocesses the images once into a cache, assigns stratified group folds (written to <out>/folds.csv), and trains the folds:',
    'each epoch shows a progress bar, validates, and writes <out>/fold-k/checkpoint-last.safetensors and, when the kappa improves,',
    'model-best.safetensors. --fold k trains one fold, so the folds can run as separate jobs (SLURM array, Kubernetes indexed Job)',
    'that `drgrade report` merges. Without --data a synthetic fundus data set is generated in <out>/synthetic-data.',
  ].join('\n'),
  positionals: [],
  options: [
    { name: 'config', type: 'string', default: 'tiny', placeholder: '<preset|file.json>', description: `configuration: a preset (${PRESET_NAMES.join(', ')}) or a JSON file` },
    { name: 'data', type: 'string', placeholder: '<dir>', description: 'data-set folder (default: a generated synthetic data set)' },
    FORMAT_OPTION,
    { name: 'out', type: 'string', required: true, placeholder: '<run-dir>', description: 'run folder (checkpoints, folds.csv, report.html)' },
    { name: 'folds', type: 'integer', placeholder: '<k>', description: 'number of folds (sets train.folds)' },
    { name: 'fold', type: 'integer', placeholder: '<k>', description: 'train only fold k (0-based)' },
    { name: 'all-folds', type: 'boolean', description: 'train every fold (the default)' },
    { name: 'folds-file', type: 'string', placeholder: '<csv>', description: 'read the fold of each image from an id,fold CSV (as written by this or another tool)' },
    { name: 'set', type: 'string', repeatable: true, placeholder: '<path=value>', description: 'override a config field, e.g. --set optim.lr=0.001 (repeatable)' },
    { name: 'resume', type: 'boolean', description: 'continue from the run folder\'s last checkpoints' },
    { name: 'pretrained', type: 'string', placeholder: '<file.safetensors>', description: 'torchvision-named backbone weights (DenseNet169 / VGG16 ImageNet)' },
    { name: 'cache', type: 'string', placeholder: '<dir>', description: 'preprocessing cache folder (default <out>/cache/...; share it between fold jobs)' },
    { name: 'workers', type: 'integer', placeholder: '<n>', description: 'image decoding threads (default from the config)' },
    { name: 'synthetic-n', type: 'integer', default: SYNTHETIC_DEFAULT.n, placeholder: '<count>', description: 'images in the generated synthetic data set (without --data)' },
    SKIP_BAD_OPTION,
  ],
  examples: [
    'drgrade train --out runs/demo',
    'drgrade train --config hbp-dsod-fl-or-ml --data ~/data/IDRiD --pretrained densenet169.safetensors --out runs/idrid',
    'drgrade train --config tiny --fold 2 --out runs/cv   # one fold, e.g. SLURM_ARRAY_TASK_ID',
  ],
  async run(args, context) {
    const overrides = [...(args.lists.set ?? [])];
    const k = numberOption(args, 'folds');
    if (k !== undefined) overrides.push(`train.folds=${k}`);
    const config = await loadConfig(stringOption(args, 'config') as string, overrides);
    const fold = numberOption(args, 'fold');
    if (fold !== undefined && booleanOption(args, 'all-folds')) throw new UserError('give --fold k or --all-folds, not both');
    const device = await getDevice();
    context.stderr.write(`${describeDevice(device.info)}\n`);
    const out = resolve(context.cwd, stringOption(args, 'out') as string);
    const data = stringOption(args, 'data');
    const workers = numberOption(args, 'workers');
    const summary = await runTraining({
      config, out, log: context.stderr, format: formatOption(args), resume: booleanOption(args, 'resume'), skipBad: booleanOption(args, 'skip-bad'),
      ...(data ? { data: resolve(context.cwd, data) } : {}),
      ...(fold !== undefined ? { folds: [fold] } : {}),
      ...(stringOption(args, 'folds-file') ? { foldsFile: resolve(context.cwd, stringOption(args, 'folds-file') as string) } : {}),
      ...(stringOption(args, 'pretrained') ? { pretrained: resolve(context.cwd, stringOption(args, 'pretrained') as string) } : {}),
      ...(stringOption(args, 'cache') ? { cache: resolve(context.cwd, stringOption(args, 'cache') as string) } : {}),
      ...(workers !== undefined ? { workers } : {}),
      synthetic: { ...SYNTHETIC_DEFAULT, n: numberOption(args, 'synthetic-n') as number },
    });
    const done = summary.folds.length;
    context.stdout.write(`${config.name}: ${done}/${config.train.folds} folds finished; quadratic weighted kappa ${summary.kappaMean.toFixed(4)} ± ${summary.kappaStd.toFixed(4)} ` +
      `(per fold: ${summary.folds.map((f) => f.kappa.toFixed(3)).join(', ')}); accuracy ${summary.accuracyMean.toFixed(3)}\n` +
      `report: ${resolve(out, 'report.html')}\n`);
    return 0;
  },
};
