import { resolve } from 'node:path';
import { encodePng } from '../image/encode.ts';
import { renderExampleGrid } from '../synth/grid.ts';
import { writeSyntheticDataset } from '../synth/write-dataset.ts';
import { UserError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';

export const synthCommand: Command = {
  name: 'synth',
  summary: 'write a synthetic fundus data set (IDRiD layout) whose grades follow the lesions',
  details: 'Patients with both eyes (PatientNNN_L/R), colour fundus images with disc, vessels, macula, camera variation; grade 1 microaneurysms, 2 + haemorrhages and exudates, 3 haemorrhages in all quadrants and venous beading, 4 neovascular tufts or pre-retinal haemorrhage. Grades are about 45/10/25/12/8 %. Deterministic in --seed.',
  positionals: [],
  options: [
    { name: 'out', type: 'string', placeholder: '<dir>', description: 'output folder' },
    { name: 'n', type: 'integer', default: 500, placeholder: '<count>', description: 'number of images' },
    { name: 'size', type: 'integer', default: 256, placeholder: '<px>', description: 'image side in pixels' },
    { name: 'seed', type: 'integer', default: 1, placeholder: '<int>', description: 'random seed' },
    { name: 'quality', type: 'integer', default: 92, placeholder: '<1-100>', description: 'JPEG quality' },
    { name: 'workers', type: 'integer', placeholder: '<n>', description: 'worker threads (default: all cores; 0 = this thread)' },
    { name: 'grid', type: 'string', placeholder: '<file.png>', description: 'also write a PNG sheet of examples, one row per grade' },
  ],
  examples: ['drgrade synth --out data/synth --n 500 --size 256 --seed 1', 'drgrade synth --grid docs/synth-grid.png'],
  async run(args, context) {
    const outOption = stringOption(args, 'out');
    const grid = stringOption(args, 'grid');
    if (!outOption && !grid) throw new UserError('give --out <dir> (and/or --grid <file.png>)');
    const n = numberOption(args, 'n') as number;
    const size = numberOption(args, 'size') as number;
    const seed = numberOption(args, 'seed') as number;
    const quality = numberOption(args, 'quality') as number;
    if (n < 1) throw new UserError(`--n must be at least 1, got ${n}`);
    if (size < 64 || size > 4096) throw new UserError(`--size must be between 64 and 4096, got ${size}`);
    if (quality < 1 || quality > 100) throw new UserError(`--quality must be 1..100, got ${quality}`);
    if (grid) {
      writeFileAtomic(resolve(context.cwd, grid), encodePng(renderExampleGrid(seed, 5, 144, size)));
      context.stdout.write(`wrote ${grid}\n`);
    }
    if (!outOption) return 0;

    const out = resolve(context.cwd, outOption);
    const started = performance.now();
    const counts = await writeSyntheticDataset(out, { n, size, seed, quality, ...(numberOption(args, 'workers') === undefined ? {} : { workers: numberOption(args, 'workers') as number }) }, context.stderr);
    const seconds = (performance.now() - started) / 1000;
    context.stdout.write(`wrote ${n} images of ${Math.ceil(n / 2)} patients to ${out} in ${seconds.toFixed(1)} s; grades 0-4: ${counts.join('/')}\n`);
    return 0;
  },
};
