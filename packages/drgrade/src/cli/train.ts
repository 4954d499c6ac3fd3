import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeSafetensors } from '@drgrade/nn';
import { getDevice, describeDevice } from '@drgrade/tensor';
import { loadConfig, PRESET_NAMES } from '../config/index.ts';
import { FINAL_DIR, runTraining, SYNTHETIC_DEFAULT } from '../train/cross-validation.ts';
import { checkPrecision } from '../train/precision.ts';
import { checkRunFolder } from '../train/run-folder.ts';
import { RunProblemError } from '../train/run-problems.ts';
import { UsageError, UserError } from '../util/errors.ts';
import { booleanOption, numberOption, stringOption, type ParsedArgs } from './args.ts';
import type { CliContext, Command } from './command.ts';
import { FORMAT_OPTION, SKIP_BAD_OPTION, formatOption } from './dataset-options.ts';
import { trainProblemError } from './train-problems.ts';

function requireFile(option: string, path: string): void {
  if (!existsSync(path)) throw new UserError(`${option} ${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UserError(`${option} ${path}: is a folder; give the path of a file`);
}

/** `drgrade train` itself; problems of the run come out as RunProblemErrors, worded by the caller. */
async function train(args: ParsedArgs, context: CliContext): Promise<number> {
  const overrides = [...(args.lists.set ?? [])];
  const k = numberOption(args, 'folds');
  if (k !== undefined) overrides.push(`train.folds=${k}`);
  const config = await loadConfig(stringOption(args, 'config') as string, overrides);
  const fold = numberOption(args, 'fold');
  if (fold !== undefined && booleanOption(args, 'all-folds')) throw new UsageError('give --fold k or --all-folds, not both');
  const final = booleanOption(args, 'final');
  if (final && (fold !== undefined || booleanOption(args, 'all-folds'))) throw new UsageError('--final trains on every image; give it without --fold or --all-folds');
  const out = resolve(context.cwd, stringOption(args, 'out') as string);
  const resume = booleanOption(args, 'resume');
  const overwrite = booleanOption(args, 'overwrite');
  // Every input is checked before the device starts and anything is generated or preprocessed.
  checkRunFolder(out, { config, resume, overwrite, ...(fold !== undefined ? { folds: [fold] } : {}) });
  const path = (name: string): string | undefined => {
    const value = stringOption(args, name);
    return value === undefined ? undefined : resolve(context.cwd, value);
  };
  const data = path('data');
  if (data !== undefined && !existsSync(data)) throw new UserError(`--data ${data}: no such folder`);
  const foldsFile = path('folds-file');
  if (foldsFile !== undefined) requireFile('--folds-file', foldsFile);
  const pretrained = path('pretrained');
  if (pretrained !== undefined) {
    requireFile('--pretrained', pretrained);
    decodeSafetensors(readFileSync(pretrained), `--pretrained ${pretrained}`);
  }
  const cache = path('cache');
  const device = await getDevice();
  context.stderr.write(`${describeDevice(device.info)}\n`);
  // Before any data is generated or preprocessed (the trainer checks again for other callers).
  checkPrecision(config, device.info);
  const workers = numberOption(args, 'workers');
  const summary = await runTraining({
    config, out, log: context.stderr, format: formatOption(args), resume, overwrite, skipBad: booleanOption(args, 'skip-bad'), final,
    ...(data ? { data } : {}),
    ...(fold !== undefined ? { folds: [fold] } : {}),
    ...(foldsFile ? { foldsFile } : {}),
    ...(pretrained ? { pretrained } : {}),
    ...(cache ? { cache } : {}),
    ...(workers !== undefined ? { workers } : {}),
    synthetic: { ...SYNTHETIC_DEFAULT, n: numberOption(args, 'synthetic-n') as number },
  });
  if (final) {
    context.stdout.write(`${config.name}: trained on every image; model: ${resolve(out, FINAL_DIR, 'model-best.safetensors')}\n`);
    return 0;
  }
  const done = summary.folds.length;
  context.stdout.write(`${config.name}: ${done}/${config.train.folds} folds finished; quadratic weighted kappa ${summary.kappaMean.toFixed(4)} ± ${summary.kappaStd.toFixed(4)} ` +
    `(per fold: ${summary.folds.map((f) => f.kappa.toFixed(3)).join(', ')}); accuracy ${summary.accuracyMean.toFixed(3)}\n` +
    `report: ${resolve(out, 'report.html')}\n`);
  return 0;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'cross-validated training of a configuration on a data set (or on a synthetic one)',
  details: [
    'Preprocesses the images once into a cache, assigns stratified group folds (written to <out>/folds.csv), and trains the folds:',
    'each epoch shows a progress bar, validates, and writes <out>/fold-k/checkpoint-last.safetensors and, when the kappa improves,',
    'model-best.safetensors. --fold k trains one fold, so the folds can run as separate jobs (SLURM array, Kubernetes indexed Job)',
    'that `drgrade report` merges. Without --data a synthetic fundus data set is generated in <out>/synthetic-data.',
    'A run folder that already holds a run is never overwritten: pass --resume to continue it or --overwrite to move it aside.',
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
    { name: 'final', type: 'boolean', description: `train one model on every image instead of folds, into <out>/${FINAL_DIR}/ (the model to ship once cross-validation has chosen the recipe)` },
    { name: 'folds-file', type: 'string', placeholder: '<csv>', description: 'read the fold of each image from an id,fold CSV (as written by this or another tool)' },
    { name: 'set', type: 'string', repeatable: true, placeholder: '<path=value>', description: 'override a config field, e.g. --set optim.lr=0.001 (repeatable)' },
    { name: 'resume', type: 'boolean', description: 'continue from the run folder\'s last checkpoints' },
    { name: 'overwrite', type: 'boolean', description: 'start over in a run folder that holds a run: the old run is moved aside to <out>.old-<time>, not deleted' },
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
    try {
      return await train(args, context);
    } catch (error) {
      throw error instanceof RunProblemError ? trainProblemError(error.problem) : error;
    }
  },
};
