// One grading of a set of images with its 95 % intervals, and the difference between two gradings
// of the same images (two recipes' out-of-fold predictions on the same folds, two models on one
// test set) with a paired bootstrap over patients: each resample draws the same patients for both,
// so what the two share, which photographs are hard, cancels out of the difference's interval.
// This is what says whether a recipe's lead is more than the noise of a few hundred photographs.
import { drMetrics } from './dr-metrics.ts';
import { clusterBootstrapInterval, clustersOf, KAPPA_BOOTSTRAP, kappaInterval, type Interval } from './intervals.ts';
import { quadraticWeightedKappa } from './kappa.ts';
import { REFERABLE_GRADE, referableCounts, referableProbability } from './referable.ts';
import { rocAuc } from './roc.ts';

/** Images graded once: true grade, predicted grade, class probabilities and patient, image by image. */
export interface Graded {
  grades: number[];
  predicted: number[];
  probabilities: number[][];
  patients: string[];
}

/** A figure with its 95 % interval; null where undefined. */
export interface WithInterval { value: number | null; interval: Interval | null }

export interface GradingFigures {
  images: number;
  patients: number;
  kappa: WithInterval;
  referableAuc: WithInterval;
  sensitivity: WithInterval;
  specificity: WithInterval;
}

/** Kappa (bootstrap over patients), referable AUC (DeLong), sensitivity and specificity (Wilson), as `drgrade eval` gives them. */
export function gradingFigures(g: Graded, numClasses: number): GradingFigures {
  const r = drMetrics(g.grades, g.predicted, g.probabilities, numClasses).referable;
  return {
    images: g.grades.length,
    patients: new Set(g.patients).size,
    kappa: { value: quadraticWeightedKappa(g.grades, g.predicted, { numClasses }), interval: kappaInterval(g.grades, g.predicted, g.patients, numClasses) },
    referableAuc: { value: r.auc, interval: r.aucCI },
    sensitivity: { value: r.sensitivity, interval: r.sensitivityCI },
    specificity: { value: r.specificity, interval: r.specificityCI },
  };
}

/** A figure of the images `ix` of a grading (NaN where undefined on them). */
type Statistic = (g: Graded, ix: number[]) => number;

function statistics(numClasses: number): Record<'kappa' | 'referableAuc' | 'sensitivity' | 'specificity', Statistic> {
  return {
    kappa: (g, ix) => quadraticWeightedKappa(ix.map((i) => g.grades[i]!), ix.map((i) => g.predicted[i]!), { numClasses }),
    referableAuc: (g, ix) => rocAuc(ix.map((i) => g.grades[i]! >= REFERABLE_GRADE), ix.map((i) => referableProbability(g.probabilities[i]!))),
    sensitivity: (g, ix) => { const c = referableCounts(g.grades, g.predicted, ix); return c.positives ? c.tp / c.positives : Number.NaN; },
    specificity: (g, ix) => { const c = referableCounts(g.grades, g.predicted, ix); return c.negatives ? c.tn / c.negatives : Number.NaN; },
  };
}

export type PairedDifferences = Record<'kappa' | 'referableAuc' | 'sensitivity' | 'specificity', WithInterval>;

/**
 * b minus a, figure by figure, over the same images in the same order (same grades and patients),
 * each with a 95 % percentile interval from the paired bootstrap over patients (KAPPA_BOOTSTRAP's
 * resamples and seed, the same draws for every figure).
 */
export function pairedDifferences(a: Graded, b: Graded, numClasses: number): PairedDifferences {
  const n = a.grades.length;
  if (b.grades.length !== n || a.grades.some((g, i) => g !== b.grades[i] || a.patients[i] !== b.patients[i])) {
    throw new RangeError('pairedDifferences: the two gradings are not of the same images in the same order');
  }
  const all = Array.from({ length: n }, (_, i) => i);
  const patients = clustersOf(a.patients);
  const out = {} as PairedDifferences;
  for (const [name, f] of Object.entries(statistics(numClasses)) as [keyof PairedDifferences, Statistic][]) {
    const d = f(b, all) - f(a, all);
    out[name] = { value: Number.isFinite(d) ? d : null, interval: clusterBootstrapInterval(patients, (ix) => f(b, ix) - f(a, ix), KAPPA_BOOTSTRAP) };
  }
  return out;
}
