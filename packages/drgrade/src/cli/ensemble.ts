import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { decodeSafetensors } from '@drgrade/nn';
import { encodeEnsembleFile } from '../train/checkpoint.ts';
import { UserError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { booleanOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { readModelFile } from './model-file.ts';

export const ensembleCommand: Command = {
  name: 'ensemble',
  summary: 'join models of one recipe, trained with different seeds, into one model file that averages their probabilities',
  details: [
    'Train the members as usual, each with its own seed (drgrade train ... --set seed=1), on the same images (the same fold, or --final).',
    'The members must share every configuration field but seed, name and description. An ensemble file given as a member adds each of its members (to grow an ensemble by a seed).',
    'The ensemble file keeps the first member\'s configuration and every member\'s training facts;',
    'predict, eval, gradcam and the page grade with it like any model file: the class probabilities are the mean of the members\' (over flips too, when the configuration says train.tta), and Grad-CAM is the mean of the members\' maps.',
  ].join('\n'),
  positionals: [{ name: 'model', description: 'model files (model-best.safetensors) or ensemble files, two or more networks in all', required: true, variadic: true }],
  options: [
    { name: 'out', type: 'string', required: true, placeholder: '<file.safetensors>', description: 'the ensemble model file to write' },
    { name: 'overwrite', type: 'boolean', description: 'replace --out if it exists (otherwise an existing file is left as it is and nothing is written)' },
  ],
  examples: [
    'drgrade ensemble runs/s0/final/model-best.safetensors runs/s1/final/model-best.safetensors runs/s2/final/model-best.safetensors --out models/ensemble.safetensors',
    'drgrade ensemble models/ensemble.safetensors runs/s3/final/model-best.safetensors --out models/ensemble4.safetensors   # one seed more',
  ],
  async run(args, context) {
    const out = resolve(context.cwd, stringOption(args, 'out') as string);
    if (existsSync(out) && !booleanOption(args, 'overwrite')) throw new UserError(`--out ${out} already exists; nothing was written: choose another name, or pass --overwrite to replace it`);
    const paths = args.rest.map((p) => resolve(context.cwd, p));
    if (paths.includes(out)) throw new UserError(`--out ${out} is also one of the members; write the ensemble to another file`);
    await getDevice();
    // Each file loads as a model first, so a file that does not fit its own architecture is named as itself.
    const names = paths.map((path) => {
      const { model, config } = readModelFile(path);
      model.dispose();
      return config.name;
    });
    const bytes = encodeEnsembleFile(paths.map((path) => ({ bytes: readFileSync(path), source: path })));
    writeFileAtomic(out, bytes);
    const { seeds } = JSON.parse(decodeSafetensors(bytes, out).metadata.ensemble!) as { seeds: number[] };
    context.stdout.write(`wrote ${out} (${(statSync(out).size / 1e6).toFixed(1)} MB): recipe ${names[0]}, ${seeds.length} members, seeds ${seeds.join(', ')}\n`);
    return 0;
  },
};
