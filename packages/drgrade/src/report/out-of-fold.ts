// The DR metrics over a run's out-of-fold predictions: every image graded once, by the model of
// the fold that held it out. Pooled over all folds, and per fold with mean ± std.
import { drMetrics, type DrMetrics } from '../metrics/dr-metrics.ts';
import { meanStd } from './mean-std.ts';
import type { FoldResult, ImagePrediction } from './summary.ts';

export interface FoldReferable {
  fold: number;
  images: number;
  auc: number | null;
  sensitivity: number | null;
  specificity: number | null;
}

/** Over the folds where the value is defined (`folds` of them); null when none is. */
export interface FoldSpread { mean: number | null; std: number | null; folds: number }

export interface OutOfFold {
  pooled: DrMetrics;
  byFold: FoldReferable[];
  byFoldMean: { auc: FoldSpread; sensitivity: FoldSpread; specificity: FoldSpread };
}

function metricsOf(predictions: ImagePrediction[], numClasses: number): DrMetrics {
  return drMetrics(predictions.map((p) => p.grade), predictions.map((p) => p.predicted), predictions.map((p) => p.probabilities), numClasses);
}

function spread(values: (number | null)[]): FoldSpread {
  const defined = values.filter((v): v is number => v !== null);
  if (defined.length === 0) return { mean: null, std: null, folds: 0 };
  return { ...meanStd(defined), folds: defined.length };
}

/**
 * Null unless every fold carries its predictions: metrics pooled over some folds only would be
 * read as the run's.
 */
export function outOfFold(folds: FoldResult[], numClasses: number): OutOfFold | null {
  if (folds.length === 0 || folds.some((f) => !f.predictions?.length)) return null;
  const byFold = folds.map((f) => {
    const r = metricsOf(f.predictions!, numClasses).referable;
    return { fold: f.fold, images: f.predictions!.length, auc: r.auc, sensitivity: r.sensitivity, specificity: r.specificity };
  });
  return {
    pooled: metricsOf(folds.flatMap((f) => f.predictions!), numClasses),
    byFold,
    byFoldMean: { auc: spread(byFold.map((f) => f.auc)), sensitivity: spread(byFold.map((f) => f.sensitivity)), specificity: spread(byFold.map((f) => f.specificity)) },
  };
}
