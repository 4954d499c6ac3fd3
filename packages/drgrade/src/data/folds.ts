import { Rng } from '../util/rng.ts';
import { errorMessage, UserError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { cellAt, csvField, findColumn, parseCsv } from './csv.ts';
import { readUtf8File } from './text-file.ts';
import type { DataItem, DataProblem } from './types.ts';

/** Fold index (0..k-1) of every item id. */
export type FoldAssignment = Map<string, number>;

type Labelled = Pick<DataItem, 'id' | 'grade' | 'group'>;

/**
 * Stratified group k-fold, the algorithm of scikit-learn's StratifiedGroupKFold(shuffle=True):
 * all images of a patient (group) go to one fold, and grade proportions stay as even as the
 * groups allow. Groups are shuffled with `seed`, then taken in order of decreasing spread of
 * their grade counts, each into the fold that minimises the mean (over grades) standard
 * deviation of per-fold grade fractions, ties to the fold with fewer images.
 */
export function stratifiedGroupKFold(items: readonly Labelled[], k = 5, seed = 0): FoldAssignment {
  if (!Number.isInteger(k) || k < 2) throw new UserError(`the number of folds must be an integer >= 2, got ${k}`);
  const classes = [...new Set(items.map((i) => i.grade))].sort((a, b) => a - b);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const groupNames = [...new Set(items.map((i) => i.group))];
  if (groupNames.length < k) throw new UserError(`cannot make ${k} folds from ${groupNames.length} patients (groups)`);
  const groupIndex = new Map(groupNames.map((g, i) => [g, i]));
  const nc = classes.length;
  const perGroup = groupNames.map(() => new Float64Array(nc));
  const classTotal = new Float64Array(nc);
  for (const item of items) {
    const c = classIndex.get(item.grade) as number;
    (perGroup[groupIndex.get(item.group) as number] as Float64Array)[c]! += 1;
    classTotal[c]! += 1;
  }

  const order = new Rng(seed).shuffle(groupNames.map((_, i) => i));
  const spread = order.map((g) => std(perGroup[g] as Float64Array));
  // Stable sort by decreasing spread keeps the shuffled order among equals (mergesort in sklearn).
  const sorted = order.map((g, i) => ({ g, s: spread[i] as number, i })).sort((a, b) => b.s - a.s || a.i - b.i).map((e) => e.g);

  const perFold = Array.from({ length: k }, () => new Float64Array(nc));
  const foldOfGroup = new Int32Array(groupNames.length);
  const column = new Float64Array(k);
  for (const g of sorted) {
    const counts = perGroup[g] as Float64Array;
    let best = -1;
    let bestEval = Infinity;
    let bestSamples = Infinity;
    for (let f = 0; f < k; f++) {
      const fold = perFold[f] as Float64Array;
      for (let c = 0; c < nc; c++) fold[c]! += counts[c] as number;
      let evaluation = 0;
      for (let c = 0; c < nc; c++) {
        for (let j = 0; j < k; j++) column[j] = ((perFold[j] as Float64Array)[c] as number) / (classTotal[c] as number);
        evaluation += std(column);
      }
      evaluation /= nc;
      for (let c = 0; c < nc; c++) fold[c]! -= counts[c] as number;
      const samples = fold.reduce((a, b) => a + b, 0);
      const close = Math.abs(evaluation - bestEval) <= 1e-8 + 1e-5 * Math.abs(bestEval);
      if (evaluation < bestEval || (close && samples < bestSamples)) {
        best = f;
        bestEval = evaluation;
        bestSamples = samples;
      }
    }
    const fold = perFold[best] as Float64Array;
    for (let c = 0; c < nc; c++) fold[c]! += counts[c] as number;
    foldOfGroup[g] = best;
  }
  return new Map(items.map((item) => [item.id, foldOfGroup[groupIndex.get(item.group) as number] as number]));
}

function std(values: Float64Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) * (v - mean);
  return Math.sqrt(sq / values.length);
}

/** The `id,fold` CSV, rows in the items' order. */
export function formatFoldsCsv(folds: FoldAssignment): string {
  return ['id,fold', ...[...folds].map(([id, fold]) => `${csvField(id)},${fold}`)].join('\n') + '\n';
}

export function writeFoldsFile(path: string, folds: FoldAssignment): void {
  writeFileAtomic(path, formatFoldsCsv(folds));
}

/**
 * Parses an `id,fold` CSV (from drgrade or another tool) and checks it against the data set:
 * every item needs a fold, folds must be 0..k-1 integers with no gap, ids listed twice are
 * errors, ids not in the data set and patients split across folds are warnings.
 */
export function parseFoldsCsv(text: string, items: readonly Labelled[], file = 'folds.csv'): { folds: FoldAssignment; problems: DataProblem[] } {
  const problems: DataProblem[] = [];
  const report = (severity: 'error' | 'warning', message: string, line?: number): void => {
    const p: DataProblem = { kind: 'bad-folds', severity, file, message };
    if (line !== undefined) p.line = line;
    problems.push(p);
  };
  const { table, errors } = parseCsv(text);
  for (const e of errors) report('error', e.message, e.line);
  const idCol = findColumn(table.header, ['id']);
  const foldCol = findColumn(table.header, ['fold']);
  const folds: FoldAssignment = new Map();
  if (idCol < 0 || foldCol < 0) {
    report('error', `a folds file needs the columns id,fold; the header is: ${table.header.join(', ')}`, 1);
    return { folds, problems };
  }
  const known = new Set(items.map((i) => i.id));
  for (const row of table.rows) {
    const id = cellAt(row, idCol);
    const text = cellAt(row, foldCol);
    if (!/^\d+$/.test(text)) {
      report('error', `${id}: fold "${text}" is not a non-negative integer`, row.line);
      continue;
    }
    if (folds.has(id)) {
      report('error', `${id} is listed more than once`, row.line);
      continue;
    }
    if (!known.has(id)) {
      report('warning', `${id} is not in the data set`, row.line);
      continue;
    }
    folds.set(id, Number(text));
  }
  const used = [...new Set(folds.values())].sort((a, b) => a - b);
  if (used.some((f, i) => f !== i)) report('error', `folds must be numbered 0..k-1 without gaps, found ${used.join(', ')}`);
  const missing = items.filter((i) => !folds.has(i.id));
  if (missing.length > 0) {
    report('error', `${missing.length} image(s) of the data set have no fold: ${missing.slice(0, 5).map((i) => i.id).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  }
  const foldOfGroup = new Map<string, number>();
  const split = new Set<string>();
  for (const item of items) {
    const f = folds.get(item.id);
    if (f === undefined) continue;
    const seen = foldOfGroup.get(item.group);
    if (seen === undefined) foldOfGroup.set(item.group, f);
    else if (seen !== f) split.add(item.group);
  }
  if (split.size > 0) report('warning', `${split.size} patient(s) have images in more than one fold (e.g. ${[...split].slice(0, 3).join(', ')}): validation scores will be optimistic`);
  return { folds, problems };
}

/** Reads a folds file; unreadable files are a UserError. */
export function readFoldsFile(path: string, items: readonly Labelled[]): { folds: FoldAssignment; problems: DataProblem[] } {
  let read;
  try {
    read = readUtf8File(path);
  } catch (error) {
    throw new UserError(`cannot read the folds file ${path}: ${errorMessage(error)}`);
  }
  if ('error' in read) return { folds: new Map(), problems: [{ kind: 'bad-folds', severity: 'error', file: path, message: read.error }] };
  return parseFoldsCsv(read.text, items, path);
}

/** Training and validation items for one fold. */
export function splitFold<T extends { id: string }>(items: readonly T[], folds: FoldAssignment, fold: number): { train: T[]; validation: T[] } {
  const train: T[] = [];
  const validation: T[] = [];
  for (const item of items) (folds.get(item.id) === fold ? validation : train).push(item);
  return { train, validation };
}
