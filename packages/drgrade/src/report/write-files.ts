// The files of a run report: report.html, report.json beside it, and predictions.csv in the same folder.
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { renderReport } from './html.ts';
import { formatPredictionsCsv } from './predictions-csv.ts';
import type { RunSummary } from './summary.ts';

/**
 * report.json leaves out what other files hold: the Grad-CAM PNGs (in report.html) and the
 * per-image predictions (in predictions.csv, written when any fold has them).
 */
export function writeReportFiles(htmlPath: string, summary: RunSummary): void {
  writeFileAtomic(htmlPath, renderReport(summary));
  const folds = summary.folds.map(({ predictions: _, ...f }) => ({ ...f, gradcams: f.gradcams.map((g) => ({ id: g.id, grade: g.grade, predicted: g.predicted })) }));
  writeFileAtomic(htmlPath.replace(/\.html$/, '.json'), `${JSON.stringify({ ...summary, folds }, null, 2)}\n`);
  if (summary.folds.some((f) => f.predictions?.length)) writeFileAtomic(join(dirname(htmlPath), 'predictions.csv'), formatPredictionsCsv(summary.folds));
}
