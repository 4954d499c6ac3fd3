import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INTERVAL_METHODS } from '../metrics/intervals.ts';
import { gradingFigures, pairedDifferences, type Graded, type GradingFigures, type WithInterval } from '../metrics/paired.ts';
import { f3, intervalText } from '../report/format.ts';
import { parsePredictionsCsv, type PredictionRow } from '../report/predictions-csv.ts';
import { UserError } from '../util/errors.ts';
import { booleanOption } from './args.ts';
import type { Command } from './command.ts';

/** A run folder's predictions.csv, or the table itself: its path, and its name as the user gave it. */
function tableOf(arg: string, cwd: string): { file: string; name: string } {
  const path = resolve(cwd, arg);
  const folder = existsSync(path) && statSync(path).isDirectory();
  const file = folder ? join(path, 'predictions.csv') : path;
  if (!existsSync(file)) throw new UserError(`${arg}: ${folder ? 'no predictions.csv in this folder' : 'no such file'} (give a run folder or a predictions table)`);
  return { file, name: folder ? join(arg, 'predictions.csv') : arg };
}

function graded(rows: readonly PredictionRow[]): Graded {
  return { grades: rows.map((r) => r.grade), predicted: rows.map((r) => r.predicted), probabilities: rows.map((r) => r.probabilities), patients: rows.map((r) => r.patient) };
}

/** The second table's rows in the first's order; one line for an image missing or graded differently. */
function aligned(first: readonly PredictionRow[], second: readonly PredictionRow[], a: string, b: string): PredictionRow[] {
  const byId = new Map(second.map((r) => [r.id, r]));
  if (second.length !== first.length) throw new UserError(`${b} has ${second.length} images, ${a} ${first.length}: compare gradings of the same images`);
  return first.map((r) => {
    const other = byId.get(r.id);
    if (!other) throw new UserError(`${b}: no image '${r.id}' (it is in ${a})`);
    if (other.grade !== r.grade || other.patient !== r.patient) throw new UserError(`${b}: image '${r.id}' has grade ${other.grade} of patient '${other.patient}', in ${a} grade ${r.grade} of '${r.patient}'`);
    return other;
  });
}

const shown = (x: WithInterval, sign = false): string => `${x.value !== null && sign && x.value >= 0 ? '+' : ''}${f3(x.value)}${intervalText(x.interval)}`;

function figuresLine(name: string, f: GradingFigures): string {
  return `${name}: ${f.images} images of ${f.patients} patients: kappa ${shown(f.kappa)}, referable AUC ${shown(f.referableAuc)}, sensitivity ${shown(f.sensitivity)}, specificity ${shown(f.specificity)}\n`;
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'kappa, referable AUC, sensitivity and specificity of out-of-fold predictions with 95 % intervals; with two runs on the same images, their differences by a paired bootstrap over patients',
  details: 'Each argument is a run folder (its predictions.csv) or a predictions table (drgrade eval --predictions). Figures are pooled over all rows. The difference is the second minus the first, each resample drawing the same patients for both.',
  positionals: [{ name: 'predictions', description: 'one or two run folders or predictions tables', required: true, variadic: true }],
  options: [{ name: 'json', type: 'boolean', description: 'print the result as JSON' }],
  examples: ['drgrade compare runs/baseline runs/paper-method', 'drgrade compare runs/cv/predictions.csv'],
  async run(args, context) {
    if (args.rest.length > 2) throw new UserError(`compare takes one or two run folders or predictions tables, ${args.rest.length} given`);
    const tables = args.rest.map((a) => tableOf(a, context.cwd));
    const files = tables.map((t) => t.name);
    const rows = tables.map((t) => parsePredictionsCsv(readFileSync(t.file, 'utf8'), t.name));
    if (rows[1]) rows[1] = aligned(rows[0]!, rows[1], files[0]!, files[1]!);
    const classes = rows[0]![0]?.probabilities.length ?? 0;
    if (classes === 0) throw new UserError(`${files[0]}: no rows`);
    if (rows[1] && rows[1][0]!.probabilities.length !== classes) throw new UserError(`${files[1]}: ${rows[1][0]!.probabilities.length} grades, ${files[0]} ${classes}`);
    const figures = rows.map((r) => gradingFigures(graded(r), classes));
    const difference = rows[1] ? pairedDifferences(graded(rows[0]!), graded(rows[1]), classes) : null;
    if (booleanOption(args, 'json')) {
      context.stdout.write(`${JSON.stringify({ files, figures, difference, intervals: INTERVAL_METHODS }, null, 2)}\n`);
      return 0;
    }
    files.forEach((f, i) => context.stdout.write(figuresLine(f, figures[i]!)));
    if (difference) {
      context.stdout.write(`second minus first, paired: kappa ${shown(difference.kappa, true)}, referable AUC ${shown(difference.referableAuc, true)}, sensitivity ${shown(difference.sensitivity, true)}, specificity ${shown(difference.specificity, true)}\n`);
    }
    context.stdout.write(`[95 % intervals] kappa${difference ? ' and differences' : ''}: ${INTERVAL_METHODS.kappa}; AUC: ${INTERVAL_METHODS.auc}; sensitivity, specificity: ${INTERVAL_METHODS.sensitivity}\n`);
    return 0;
  },
};
