import { resolve } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { assessGradability } from '../image/gradability.ts';
import { describeAveraging, usesFlips } from '../infer/class-probabilities.ts';
import { predictImage } from '../infer/predict.ts';
import { graderMembers } from '../train/ensemble.ts';
import { cardSentence } from '../train/model-card.ts';
import { UserError } from '../util/errors.ts';
import { isDirectory } from '../data/image-files.ts';
import { GRADE_NAMES } from '../data/types.ts';
import { referableProbability } from '../metrics/referable.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { booleanOption, givenBooleanOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { chooseModel, describeChoice } from './default-model.ts';
import { readModelFile } from './model-file.ts';
import { startOneShot } from './one-shot.ts';
import { PHOTO_SKIP_BAD_OPTION, forEachPhoto, listPhotos } from './photo-inputs.ts';
import { formatPredictCsv, type PhotoGrade } from './predict-csv.ts';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'grade photographs with a trained model (grade and the five class probabilities)',
  details: [
    'Give photographs and folders (a folder stands for the JPEG and PNG files directly inside it, sorted by name).',
    'A photograph without a gradable fundus (black, blank, tiny, far out of focus or exposure, not a fundus) is not graded: its grade is null, with the reason.',
    'A photograph that cannot be read stops the command, unless --skip-bad: then it is reported on one line on stderr, listed without a grade in --json and --csv, and the others are graded.',
    'Exit status: 0 when every photograph was graded; 3 when some were not (ungradable, or skipped by --skip-bad); 1 when an error stopped the command; 2 for a usage error.',
  ].join('\n'),
  positionals: [{ name: 'image', description: 'JPEG or PNG photograph(s), or folders of them', required: true, variadic: true }],
  options: [
    { name: 'checkpoint', type: 'string', placeholder: '<model.safetensors>', description: 'model file (model-best.safetensors of a run; default: the shipped models/drgrade-real.safetensors)' },
    { name: 'json', type: 'boolean', description: 'print JSON: [{image, model, grade, gradeName, probabilities, referable, reason?}] (referable: P(grade ≥ 2), the sum of p2..p4)' },
    { name: 'csv', type: 'string', placeholder: '<file.csv>', description: 'also write a table: image, grade, grade_name, p0..p4, p_referable (P(grade ≥ 2)), reason (why a photograph has no grade)' },
    { name: 'tta', type: 'boolean', description: 'average over horizontal and vertical flips (default: as the model was evaluated, its train.tta; --no-tta turns them off)' },
    PHOTO_SKIP_BAD_OPTION,
  ],
  examples: [
    'drgrade predict photo.jpg',
    'drgrade predict photos/ --skip-bad --csv grades.csv',
    'drgrade predict --checkpoint runs/demo/fold-0/model-best.safetensors photo.jpg --json',
  ],
  async run(args, context) {
    const csvName = stringOption(args, 'csv');
    const csvPath = csvName === undefined ? null : resolve(context.cwd, csvName);
    if (csvPath && isDirectory(csvPath)) throw new UserError(`--csv ${csvName}: is a folder; give the name of the table to write, e.g. grades.csv`);
    const inputs = listPhotos(args.rest, context.cwd);
    await getDevice();
    const choice = chooseModel(stringOption(args, 'checkpoint'), 'checkpoint', context.cwd);
    const { model, card } = readModelFile(choice.path);
    const tta = givenBooleanOption(args, 'tta');
    const oneShot = await startOneShot('predict', context);
    const json = booleanOption(args, 'json');
    const results: PhotoGrade[] = [];
    // Text goes out photograph by photograph, so a long folder shows its progress.
    const say = (text: string): void => { if (!json) context.stdout.write(text); };
    const averaged = describeAveraging(graderMembers(model).length, usesFlips(model.config, tta));
    say(`model: ${describeChoice(choice)}${averaged ? `; ${averaged}` : ''}\n`);
    if (card) say(`${cardSentence(card)}\n`);
    try {
      await forEachPhoto(inputs, { skipBad: booleanOption(args, 'skip-bad'), command: 'predict', context }, async (input, photo) => {
        const verdict = assessGradability(photo);
        if (!verdict.gradable) {
          results.push({ image: input.name, model: choice.path, grade: null, gradeName: 'ungradable', reason: verdict.reason, probabilities: null, referable: null });
          say(`${input.name}: ${verdict.reason}\n`);
          return;
        }
        oneShot.beforeRun();
        const p = await predictImage(model, photo, { tta });
        const gradeName = GRADE_NAMES[p.grade] ?? String(p.grade);
        const referable = referableProbability(p.probabilities);
        results.push({ image: input.name, model: choice.path, grade: p.grade, gradeName, probabilities: p.probabilities, referable });
        say(`${input.name}: grade ${p.grade} (${gradeName}); probabilities ${p.probabilities.map((v) => v.toFixed(4)).join(' ')}; referable DR (grade ≥ 2) ${referable.toFixed(4)}\n`);
      }, (input, reason) => {
        results.push({ image: input.name, model: choice.path, grade: null, gradeName: 'unreadable', reason, probabilities: null, referable: null });
      });
    } finally {
      model.dispose();
      oneShot.end();
    }
    if (json) context.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    if (csvPath) writeFileAtomic(csvPath, formatPredictCsv(results, model.config.model.numClasses));
    return results.some((r) => r.grade === null) ? 3 : 0;
  },
};
