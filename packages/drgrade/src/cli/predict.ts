import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { decodeImage } from '../image/decode.ts';
import { assessGradability } from '../image/gradability.ts';
import { predictImage } from '../infer/predict.ts';
import { GRADE_NAMES } from '../report/index.ts';
import { ImageDecodeError, UserError } from '../util/errors.ts';
import { booleanOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { chooseModel, describeChoice } from './default-model.ts';
import { readModelFile } from './model-file.ts';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'grade photographs with a trained model (grade and the five class probabilities)',
  details: 'A photograph without a gradable fundus (black, blank, tiny, far out of focus or exposure, not a fundus) is not graded: its grade is null, with the reason. Exit status 0 when every photograph was graded, 3 when some were ungradable, 1 on an error.',
  positionals: [{ name: 'image', description: 'JPEG or PNG photograph(s)', required: true, variadic: true }],
  options: [
    { name: 'checkpoint', type: 'string', placeholder: '<model.safetensors>', description: 'model file (model-best.safetensors of a run; default: the shipped models/drgrade-real.safetensors)' },
    { name: 'json', type: 'boolean', description: 'print JSON: [{image, model, grade, gradeName, probabilities}]' },
    { name: 'tta', type: 'boolean', description: 'average over horizontal and vertical flips' },
  ],
  examples: ['drgrade predict photo.jpg', 'drgrade predict --checkpoint runs/demo/fold-0/model-best.safetensors photo.jpg --json'],
  async run(args, context) {
    await getDevice();
    const choice = chooseModel(stringOption(args, 'checkpoint'), 'checkpoint', context.cwd);
    const { model } = readModelFile(choice.path);
    const results = [];
    for (const file of args.rest) {
      const path = resolve(context.cwd, file);
      let bytes: Uint8Array;
      try { bytes = readFileSync(path); } catch { throw new UserError(`${file}: cannot read the file`); }
      let photo;
      try { photo = decodeImage(bytes); } catch (e) {
        if (e instanceof ImageDecodeError) throw new UserError(`${file}: ${e.message}`);
        throw e;
      }
      const verdict = assessGradability(photo);
      if (!verdict.gradable) {
        results.push({ image: file, model: choice.path, grade: null, gradeName: 'ungradable', reason: verdict.reason, probabilities: null });
        continue;
      }
      const p = await predictImage(model, photo, { tta: booleanOption(args, 'tta') });
      results.push({ image: file, model: choice.path, grade: p.grade, gradeName: GRADE_NAMES[p.grade] ?? String(p.grade), probabilities: p.probabilities });
    }
    if (booleanOption(args, 'json')) context.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else {
      context.stdout.write(`model: ${describeChoice(choice)}\n`);
      for (const r of results) {
        context.stdout.write(r.probabilities === null ? `${r.image}: ${r.reason}\n` : `${r.image}: grade ${r.grade} (${r.gradeName}); probabilities ${r.probabilities.map((p) => p.toFixed(4)).join(' ')}\n`);
      }
    }
    model.dispose();
    return results.some((r) => r.grade === null) ? 3 : 0;
  },
};
