// What a training run records per fold, and the cross-validation summary over folds.
import { confusionRowPercent } from '../metrics/confusion-percent.ts';
import { meanStd } from './mean-std.ts';
import { outOfFold, type OutOfFold } from './out-of-fold.ts';
import type { Provenance } from './provenance.ts';

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  valLoss: number;
  valKappa: number;
  valAccuracy: number;
  /** Kappa on the validation split carved from the training folds, when the run selects on it. */
  selectionKappa?: number;
  /** With a moving average of the weights (train.ema), valKappa is the average's; this is the trained weights' own. */
  rawValKappa?: number;
  imagesPerSecond: number;
}

export interface GradcamRecord {
  id: string;
  grade: number;
  predicted: number;
  /** PNG of the overlay, base64. */
  png: string;
}

/** One held-out image's out-of-fold prediction by its fold's selected model. */
export interface ImagePrediction {
  id: string;
  patient: string;
  grade: number;
  predicted: number;
  /** Softmax probabilities of grades 0..C-1. */
  probabilities: number[];
}

export interface FoldResult {
  fold: number;
  /** Kappa, accuracy, per-class accuracy and confusion matrix of the selected checkpoint on the fold's held-out images. */
  kappa: number;
  accuracy: number;
  perClassAccuracy: (number | null)[];
  confusion: number[][];
  /** The epoch whose model the fold reports (1-based): chosen by `selection`, never by the held-out kappa. */
  bestEpoch: number;
  /** How bestEpoch was chosen (absent in runs of older versions, which chose by the held-out kappa). */
  selection?: 'validation' | 'last';
  history: EpochRecord[];
  gradcams: GradcamRecord[];
  trainImages: number;
  valImages: number;
  seconds: number;
  /** The adapter the fold trained on (absent in runs of older versions). */
  adapter?: string;
  /** Held-out predictions of the selected model, one per image of the fold (absent in runs of older versions). */
  predictions?: ImagePrediction[];
  /**
   * The kernels' choices: whether the autotuner was on, and how many shape classes it timed while
   * the fold trained and was scored (each ran the default kernel until then). With none timed the
   * choices were fixed throughout, and the same seed, data, adapter and decision file reproduce the
   * fold bit for bit; otherwise the rounding of the switch-over makes a rerun differ (absent in
   * runs of older versions, or resumed from their checkpoints).
   */
  kernels?: { autotune: boolean; timed: number };
}

export interface RunSummary {
  config: string;
  dataset: string;
  adapter: string;
  folds: FoldResult[];
  kappaMean: number;
  kappaStd: number;
  accuracyMean: number;
  /** Confusion matrix summed over folds, with the per-class accuracy it gives. */
  confusion: number[][];
  perClassAccuracy: (number | null)[];
  /** The summed confusion matrix's rows as percentages; null for a grade without images. */
  confusionRowPercent: (number | null)[][];
  /** Referable-DR, per-class and confusion metrics over the out-of-fold predictions; null unless every fold has them. */
  outOfFold: OutOfFold | null;
  provenance: Provenance | null;
}

/** Merges fold results (from one run or from separate --fold jobs) into the cross-validation summary. */
export function summarize(config: string, dataset: string, adapter: string, folds: FoldResult[], provenance: Provenance | null = null): RunSummary {
  const sorted = [...folds].sort((a, b) => a.fold - b.fold);
  const { mean, std } = meanStd(sorted.map((f) => f.kappa));
  const C = sorted[0]?.confusion.length ?? 5;
  const confusion = Array.from({ length: C }, (_, i) => Array.from({ length: C }, (_, j) => sorted.reduce((s, f) => s + (f.confusion[i]?.[j] ?? 0), 0)));
  const perClassAccuracy = confusion.map((row, i) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n ? row[i]! / n : null;
  });
  return {
    config, dataset, adapter, folds: sorted, kappaMean: mean, kappaStd: std,
    accuracyMean: sorted.reduce((a, f) => a + f.accuracy, 0) / Math.max(sorted.length, 1),
    confusion, perClassAccuracy,
    confusionRowPercent: confusionRowPercent(confusion).map((row) => row.map((v) => (Number.isNaN(v) ? null : v))),
    outOfFold: outOfFold(sorted, C), provenance,
  };
}
