import type { ImagePrediction } from './summary.ts';
import { csvField as field, parseCsv } from '../data/csv.ts';
import { UserError } from '../util/errors.ts';

/** The predictions of one fold's held-out images; fold null for images of no fold (`drgrade eval` of a whole data set). */
export interface PredictionGroup {
  fold: number | null;
  predictions?: ImagePrediction[];
}

/**
 * `<run>/predictions.csv` and `drgrade eval --predictions`: one row per image (id, patient, fold,
 * true grade, predicted grade, the probability of each grade), folds in order; the fold cell is
 * empty for images of no fold. Probabilities are written in full so that any metric can be
 * recomputed from the file.
 */
export function formatPredictionsCsv(folds: readonly PredictionGroup[]): string {
  const C = Math.max(0, ...folds.flatMap((f) => (f.predictions ?? []).map((p) => p.probabilities.length)));
  const header = ['id', 'patient', 'fold', 'grade', 'predicted', ...Array.from({ length: C }, (_, g) => `p${g}`)].join(',');
  const rows = [...folds].sort((a, b) => (a.fold ?? -1) - (b.fold ?? -1)).flatMap((f) => (f.predictions ?? []).map((p) =>
    [field(p.id), field(p.patient), f.fold ?? '', p.grade, p.predicted, ...p.probabilities].join(',')));
  return `${[header, ...rows].join('\n')}\n`;
}

/** One row of a predictions table: an image's prediction and its fold (null where the cell is empty). */
export type PredictionRow = ImagePrediction & { fold: number | null };

/**
 * Reads a table formatPredictionsCsv wrote (or any with its columns: id, patient, fold, grade,
 * predicted, p0.., e.g. scripts/oof-ensemble.mjs --out). A problem is one UserError naming `source`,
 * the line and the cell.
 */
export function parsePredictionsCsv(text: string, source: string): PredictionRow[] {
  const { table, errors } = parseCsv(text);
  if (errors.length > 0) throw new UserError(`${source} line ${errors[0]!.line}: ${errors[0]!.message}`);
  const classes = table.header.filter((h) => /^p\d+$/.test(h)).length;
  const need = ['id', 'patient', 'fold', 'grade', 'predicted', ...Array.from({ length: classes }, (_, g) => `p${g}`)];
  const missing = need.filter((c) => !table.header.includes(c));
  if (missing.length > 0 || classes < 2) throw new UserError(`${source}: not a predictions table (no column ${[...missing, ...(classes < 2 ? ['p0, p1, ...'] : [])].join(', ')})`);
  const at = (c: string): number => table.header.indexOf(c);
  const seen = new Set<string>();
  return table.rows.map(({ line, cells }) => {
    const id = cells[at('id')] ?? '';
    if (seen.has(id)) throw new UserError(`${source} line ${line}: image '${id}' appears a second time`);
    seen.add(id);
    const integer = (c: string, max: number): number => {
      const v = Number(cells[at(c)]);
      if (!Number.isInteger(v) || v < 0 || v > max) throw new UserError(`${source} line ${line}: ${c} '${cells[at(c)] ?? ''}' is not an integer 0..${max}`);
      return v;
    };
    const probabilities = Array.from({ length: classes }, (_, g) => {
      const v = Number(cells[at(`p${g}`)]);
      if (!(v >= 0 && v <= 1)) throw new UserError(`${source} line ${line}: p${g} '${cells[at(`p${g}`)] ?? ''}' is not a probability`);
      return v;
    });
    const foldCell = cells[at('fold')] ?? '';
    return { id, patient: cells[at('patient')] ?? id, fold: foldCell === '' ? null : integer('fold', Number.MAX_SAFE_INTEGER), grade: integer('grade', classes - 1), predicted: integer('predicted', classes - 1), probabilities };
  });
}
