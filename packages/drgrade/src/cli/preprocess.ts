import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isInside } from '../data/image-files.ts';
import { preprocessItems } from '../data/preprocess-dataset.ts';
import { formatProblems } from '../data/problem-list.ts';
import { readDataset } from '../data/read-dataset.ts';
import { hasErrors } from '../data/types.ts';
import type { ImageFileFormat } from '../image/encode.ts';
import type { PreprocessOptions } from '../image/preprocess.ts';
import { UserError, errorMessage } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { booleanOption, numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { FORMAT_OPTION, SKIP_BAD_OPTION, formatOption } from './dataset-options.ts';

const MANIFEST = 'drgrade-preprocess.json';

/** `10`, `radius` or `none` → the PreprocessOptions sigma. */
export function parseSigma(text: string): number | 'radius' | null {
  if (text === 'radius') return 'radius';
  if (text === 'none') return null;
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new UserError(`--sigma must be a positive number, "radius" or "none"; got "${text}"`);
  return value;
}

interface Manifest {
  tool: string;
  version: number;
  options: PreprocessOptions;
  imageFormat: ImageFileFormat;
  quality: number | null;
}

/**
 * The settings an output folder was made with. A resumed run must use the same ones, or the
 * folder would mix images preprocessed two ways without anyone noticing.
 */
function checkManifest(out: string, manifest: Manifest): void {
  const path = join(out, MANIFEST);
  if (existsSync(path)) {
    let previous: unknown;
    try {
      previous = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new UserError(`${path} is unreadable (${errorMessage(error)}); delete it or choose another --out`);
    }
    if (JSON.stringify(previous) !== JSON.stringify(manifest)) {
      throw new UserError(`${out} was made with other settings (${path}: ${JSON.stringify(previous)}); use the same settings to resume, or another --out`);
    }
    return;
  }
  writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

export const preprocessCommand: Command = {
  name: 'preprocess',
  summary: 'write a preprocessed copy of a data set (crop, resize, Ben Graham), same layout and labels',
  details: 'Crops the black border, pads to a square, resizes (area averaging) and applies Ben Graham\'s filter 4·img − 4·blur(img, σ) + 128, on all cores. Finished files are skipped, so an interrupted run can be resumed with the same command; files are written atomically.',
  positionals: [{ name: 'root', description: 'data-set folder', required: true }],
  options: [
    FORMAT_OPTION,
    { name: 'out', type: 'string', required: true, placeholder: '<dir>', description: 'output folder (outside the data set)' },
    { name: 'size', type: 'integer', default: 512, placeholder: '<px>', description: 'output side in pixels' },
    { name: 'sigma', type: 'string', default: '10', placeholder: '<σ|radius|none>', description: 'Ben Graham blur σ in output pixels; "radius" for σ = radius/30; "none" to skip the filter' },
    { name: 'mask', type: 'boolean', description: 'set pixels outside 0.9 × the fundus radius to grey 128' },
    { name: 'image-format', type: 'string', choices: ['png', 'jpg'], default: 'png', description: 'output file type' },
    { name: 'quality', type: 'integer', default: 92, placeholder: '<1-100>', description: 'JPEG quality (with --image-format jpg)' },
    { name: 'workers', type: 'integer', placeholder: '<n>', description: 'worker threads (default: all cores; 0 = this thread)' },
    SKIP_BAD_OPTION,
  ],
  examples: ['drgrade preprocess ~/data/IDRiD --out ~/data/IDRiD-512 --size 512 --sigma 10'],
  async run(args, context) {
    const root = resolve(context.cwd, args.positionals.root as string);
    const out = resolve(context.cwd, stringOption(args, 'out') as string);
    const size = numberOption(args, 'size') as number;
    if (size < 16 || size > 8192) throw new UserError(`--size must be between 16 and 8192, got ${size}`);
    const imageFormat = stringOption(args, 'image-format') as ImageFileFormat;
    const quality = numberOption(args, 'quality') as number;
    if (quality < 1 || quality > 100) throw new UserError(`--quality must be 1..100, got ${quality}`);
    const options: PreprocessOptions = { size, sigma: parseSigma(stringOption(args, 'sigma') as string), mask: booleanOption(args, 'mask'), crop: true };
    const skipBad = booleanOption(args, 'skip-bad');

    const dataset = readDataset(root, formatOption(args));
    if (isInside(dataset.root, out) || isInside(out, dataset.root)) throw new UserError(`--out ${out} must be outside the data-set folder ${dataset.root} (and not contain it)`);
    if (dataset.problems.length > 0) context.stderr.write(formatProblems(dataset.problems, 200));
    if (hasErrors(dataset.problems) && !skipBad) {
      context.stderr.write('stopped: fix the errors above, or pass --skip-bad to leave those images out\n');
      return 1;
    }

    mkdirSync(out, { recursive: true });
    checkManifest(out, { tool: 'drgrade preprocess', version: 1, options, imageFormat, quality: imageFormat === 'jpg' ? quality : null });
    for (const file of dataset.labelFiles) {
      mkdirSync(dirname(join(out, file)), { recursive: true });
      copyFileSync(join(dataset.root, file), join(out, file));
    }

    const workers = numberOption(args, 'workers');
    const outcome = await preprocessItems(dataset.root, dataset.items, out, { options, imageFormat, quality, gradability: false, ...(workers === undefined ? {} : { workers }) }, context.stderr);
    const { written, seconds, failures } = outcome;
    context.stdout.write(`wrote ${written} image(s) to ${out} in ${seconds.toFixed(1)} s${written > 0 ? ` (${(written / seconds).toFixed(1)} images/s, ${outcome.threads} worker thread(s))` : ''}; ${outcome.alreadyDone} already done\n`);
    if (failures.length > 0) {
      context.stderr.write(formatProblems(failures));
      if (!skipBad) return 1;
    }
    return 0;
  },
};
