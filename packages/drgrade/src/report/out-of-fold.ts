// The DR metrics over a run's out-of-fold predictions: every image graded once, by the model of
// the fold that held it out. Pooled over all folds, and per fold with mean ± std.
import { drMetrics, type DrMetrics } from '../metrics/dr-metrics.ts';
import { kappaInterval, type Interval } from '../metrics/intervals.ts';
import { quadraticWeightedKappa } from '../metrics/kappa.ts';
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
  /** Kappa of all out-of-fold predictions together, with its 95 % interval by the bootstrap over patients (a different figure from the mean over folds). */
  pooledKappa: { kappa: number; interval: Interval | null; patients: number };
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
  const all = folds.flatMap((f) => f.predictions!);
  const grades = all.map((p) => p.grade), predicted = all.map((p) => p.predicted), patients = all.map((p) => p.patient);
  return {
    pooled: metricsOf(all, numClasses),
    pooledKappa: { kappa: quadraticWeightedKappa(grades, predicted, { numClasses }), interval: kappaInterval(grades, predicted, patients, numClasses), patients: new Set(patients).size },
    byFold,
    byFoldMean: { auc: spread(byFold.map((f) => f.auc)), sensitivity: spread(byFold.map((f) => f.sensitivity)), specificity: spread(byFold.map((f) => f.specificity)) },
  };
}
