import type { FoldResult } from './summary.ts';
import { csvField as field } from '../data/csv.ts';


/**
 * `<run>/predictions.csv`: one row per held-out image (id, patient, fold, true grade, predicted
 * grade, the probability of each grade), folds in order. Probabilities are written in full so
 * that any metric can be recomputed from the file.
 */
export function formatPredictionsCsv(folds: FoldResult[]): string {
  const C = Math.max(0, ...folds.flatMap((f) => (f.predictions ?? []).map((p) => p.probabilities.length)));
  const header = ['id', 'patient', 'fold', 'grade', 'predicted', ...Array.from({ length: C }, (_, g) => `p${g}`)].join(',');
  const rows = [...folds].sort((a, b) => a.fold - b.fold).flatMap((f) => (f.predictions ?? []).map((p) =>
    [field(p.id), field(p.patient), f.fold, p.grade, p.predicted, ...p.probabilities].join(',')));
  return `${[header, ...rows].join('\n')}\n`;
}
