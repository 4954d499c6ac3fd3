import { resolve } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { evaluationLoaderOptions } from '../config/runtime.ts';
import { checkImages } from '../data/check-images.ts';
import { readFoldsFile } from '../data/folds.ts';
import { isDirectory } from '../data/image-files.ts';
import { formatProblems } from '../data/problem-list.ts';
import { DataLoader } from '../data/loader.ts';
import { readDataset } from '../data/read-dataset.ts';
import { GRADE_NAMES, hasErrors, type Dataset } from '../data/types.ts';
import { describeAveraging, usesFlips } from '../infer/class-probabilities.ts';
import { drMetrics } from '../metrics/dr-metrics.ts';
import { INTERVAL_METHODS, kappaInterval } from '../metrics/intervals.ts';
import { graderMembers } from '../train/ensemble.ts';
import { evaluate, imagePredictions } from '../train/evaluate.ts';
import { f3, intervalText as ci, operatingPointText } from '../report/format.ts';
import { formatPredictionsCsv } from '../report/predictions-csv.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { UsageError, UserError } from '../util/errors.ts';
import { booleanOption, givenBooleanOption, numberOption, stringOption, type ParsedArgs } from './args.ts';
import type { Command, CliContext } from './command.ts';
import { FORMAT_OPTION, JSON_LISTS_ALL, SKIP_BAD_OPTION, formatOption } from './dataset-options.ts';
import { readModelFile } from './model-file.ts';

/** The data set, or with --folds-file and --fold only that fold's images (and the folds file's problems). */
function oneFold(args: ParsedArgs, context: CliContext, ds: Dataset): Dataset {
  const file = stringOption(args, 'folds-file'), fold = numberOption(args, 'fold');
  if (file === undefined && fold === undefined) return ds;
  if (file === undefined || fold === undefined) throw new UsageError('--folds-file and --fold go together: the folds file of a run and the fold whose held-out images to evaluate');
  const { folds, problems } = readFoldsFile(resolve(context.cwd, file), ds.items);
  if (hasErrors(problems)) {
    context.stderr.write(formatProblems(problems, 10));
    throw new UserError(`${file}: the folds file has errors (listed above)`);
  }
  const items = ds.items.filter((item) => folds.get(item.id) === fold);
  if (items.length === 0) throw new UserError(`${file}: no image of ${ds.root} is in fold ${fold} (folds found: ${[...new Set(folds.values())].sort((a, b) => a - b).join(', ') || 'none'})`);
  return { ...ds, items, problems: [...ds.problems, ...problems] };
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a trained model on a labelled data set: kappa, accuracy, referable-DR AUC / sensitivity / specificity (also at screening targets), per-class precision and recall, confusion matrix',
  positionals: [],
  options: [
    { name: 'checkpoint', type: 'string', required: true, placeholder: '<model.safetensors>', description: 'model file' },
    { name: 'data', type: 'string', required: true, placeholder: '<dir>', description: 'data-set folder' },
    { name: 'folds-file', type: 'string', placeholder: '<folds.csv>', description: "a run's folds (id,fold; with --fold): evaluate one fold's held-out images only" },
    { name: 'fold', type: 'integer', placeholder: '<k>', description: 'the fold of --folds-file to evaluate (a cross-validation fold model on the images it never trained on)' },
    FORMAT_OPTION,
    { name: 'tta', type: 'boolean', description: 'average over horizontal and vertical flips (default: as the model was evaluated, its train.tta; --no-tta turns them off)' },
    { name: 'json', type: 'boolean', description: 'print the result as JSON' },
    { name: 'predictions', type: 'string', placeholder: '<file.csv>', description: "also write one row per image: id, patient, fold, grade, predicted, p0..p4 (a training run's predictions.csv layout; fold empty without --fold)" },
    { name: 'workers', type: 'integer', placeholder: '<n>', description: 'image decoding threads' },
    SKIP_BAD_OPTION,
  ],
  async run(args, context) {
    const csvName = stringOption(args, 'predictions');
    const csvPath = csvName === undefined ? null : resolve(context.cwd, csvName);
    if (csvPath && isDirectory(csvPath)) throw new UserError(`--predictions ${csvName}: is a folder; give the name of the table to write, e.g. predictions.csv`);
    await getDevice();
    const { model, config } = readModelFile(resolve(context.cwd, stringOption(args, 'checkpoint') as string));
    const ds = readDataset(resolve(context.cwd, stringOption(args, 'data') as string), formatOption(args));
    const heldOut = oneFold(args, context, ds);
    // Undecodable and ungradable photographs are found before evaluation, so --skip-bad can leave them out.
    const checked = await checkImages(heldOut, { gradability: true });
    const problems = [...heldOut.problems, ...checked.problems];
    if (problems.length) context.stderr.write(formatProblems(problems, 50, JSON_LISTS_ALL));
    if (hasErrors(problems) && !booleanOption(args, 'skip-bad')) throw new UserError('the data set has errors (listed above); pass --skip-bad to evaluate the rest');
    if (checked.items.length === 0) throw new UserError('no usable images left to evaluate');
    const loader = new DataLoader(evaluationLoaderOptions(config, checked.items, { preprocessed: false, workers: numberOption(args, 'workers') }));
    const flips = usesFlips(config, givenBooleanOption(args, 'tta'));
    const ev = await evaluate(model, loader, { tta: flips });
    await loader.close();
    model.dispose();
    if (csvPath) {
      writeFileAtomic(csvPath, formatPredictionsCsv([{ fold: numberOption(args, 'fold') ?? null, predictions: imagePredictions(ev, checked.items) }]));
    }
    const m = drMetrics(ev.grades, ev.predictions, ev.probabilities, config.model.numClasses);
    const patientOf = new Map(checked.items.map((i) => [i.id, i.group]));
    const patientIds = ev.ids.map((id) => patientOf.get(id) ?? id);
    const patients = new Set(patientIds).size;
    const kappaCI = kappaInterval(ev.grades, ev.predictions, patientIds, config.model.numClasses);
    const result = {
      images: ev.grades.length, patients, members: graderMembers(model).length, testTimeFlips: flips, kappa: ev.kappa, kappaCI, accuracy: ev.accuracy, perClassAccuracy: ev.perClassAccuracy,
      referable: m.referable, perClass: m.perClass, confusion: m.confusion, confusionRowPercent: m.confusionRowPercent, intervals: INTERVAL_METHODS,
    };
    if (booleanOption(args, 'json')) { context.stdout.write(`${JSON.stringify(result, null, 2)}\n`); return 0; }
    const ref = m.referable;
    const averaged = describeAveraging(result.members, flips);
    context.stdout.write(`${ev.grades.length} images of ${patients} patients${averaged ? ` (${averaged})` : ''}: quadratic weighted kappa ${ev.kappa.toFixed(4)}${ci(kappaCI)}, accuracy ${ev.accuracy.toFixed(4)}\n`);
    context.stdout.write(`referable DR (grade ≥ 2; ${ref.positives} of ${ev.grades.length} images): AUC ${f3(ref.auc)}${ci(ref.aucCI)}, sensitivity ${f3(ref.sensitivity)}${ci(ref.sensitivityCI)}, specificity ${f3(ref.specificity)}${ci(ref.specificityCI)} (referable when the predicted grade is ≥ 2)\n`);
    context.stdout.write(`[95 % intervals] kappa: ${INTERVAL_METHODS.kappa}; AUC: ${INTERVAL_METHODS.auc}; sensitivity, specificity: ${INTERVAL_METHODS.sensitivity}\n`);
    if (ref.auc !== null) context.stdout.write(`screening operating points (the curve read at fixed targets): ${ref.operatingPoints.map(operatingPointText).join('; ')}\n`);
    context.stdout.write(`per-class accuracy: ${ev.perClassAccuracy.map((a, i) => `${i} ${GRADE_NAMES[i]} ${f3(a)}`).join(', ')}\n`);
    context.stdout.write(`per-class precision / recall: ${m.perClass.map((c, i) => `${i} ${f3(c.precision)} / ${f3(c.recall)}`).join(', ')}\n`);
    context.stdout.write(`confusion matrix (rows true, columns predicted):\n${ev.confusion.map((r) => r.map((v) => String(v).padStart(5)).join('')).join('\n')}\n`);
    return 0;
  },
};
