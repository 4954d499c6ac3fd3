import type { ImagePrediction } from './summary.ts';
import { csvField as field } from '../data/csv.ts';

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
