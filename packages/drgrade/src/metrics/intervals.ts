// 95 % confidence intervals for the figures DR papers report with one: referable sensitivity and
// specificity (Wilson score intervals), the referable ROC AUC (DeLong's variance) and quadratic
// weighted kappa (a percentile bootstrap over patients). On the few hundred photographs of a
// development or test set these intervals are as wide as the differences between recipes, which
// is why they stand beside every figure `drgrade eval` prints.
import { Rng } from '../util/rng.ts';
import { quadraticWeightedKappa } from './kappa.ts';
import { checkScores } from './roc.ts';

/** The standard normal quantile of 0.975: a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

export type Interval = [lower: number, upper: number];

/** Kappa's bootstrap in `drgrade eval`: a fixed seed, so that a figure repeats. */
export const KAPPA_BOOTSTRAP = { resamples: 2000, seed: 0 } as const;

/** How the intervals of `drgrade eval` are found, written beside them. */
export const INTERVAL_METHODS = {
  level: 0.95,
  kappa: `percentile bootstrap over patients, ${KAPPA_BOOTSTRAP.resamples} resamples, seed ${KAPPA_BOOTSTRAP.seed}`,
  // These two count images as independent, which a patient's two eyes are not: somewhat narrow.
  auc: 'DeLong, images counted as independent',
  sensitivity: 'Wilson score, images counted as independent',
  specificity: 'Wilson score, images counted as independent',
} as const;

/**
 * Wilson's score interval for `successes` of `n` (Wilson 1927), recommended over the exact
 * Clopper–Pearson and the Wald intervals by Brown, Cai and DasGupta (Statistical Science, 2001):
 * close to nominal coverage at the small counts and rates near 0 or 1 that screening studies have.
 * Null when n is 0 (no rate).
 */
export function wilsonInterval(successes: number, n: number, z = Z95): Interval | null {
  if (n === 0) return null;
  if (!(successes >= 0 && successes <= n) || !Number.isInteger(successes) || !Number.isInteger(n)) throw new RangeError(`wilsonInterval: ${successes} successes of ${n}`);
  const p = successes / n, z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 and n successes one bound is exactly 0 or 1; rounding must not put it past.
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** Midranks (1-based, ties sharing their mean rank) of `values`. */
function midranks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  for (let k = 0; k < order.length;) {
    let end = k;
    while (end + 1 < order.length && values[order[end + 1]!] === values[order[k]!]) end++;
    for (let t = k; t <= end; t++) ranks[order[t]!] = (k + end) / 2 + 1;
    k = end + 1;
  }
  return ranks;
}

function sampleVariance(xs: readonly number[]): number {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  return xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1);
}

/**
 * The ROC AUC ± z standard errors, clipped to [0, 1], with DeLong, DeLong and Clarke-Pearson's
 * variance (Biometrics, 1988): the placement values of each positive (the share of negatives it
 * outscores, a tie counting one half) and each negative (the share of positives outscoring it),
 * found from midranks as Sun and Xu (IEEE SPL, 2014) do, in O(n log n). Null with fewer than two
 * positives or negatives, and where every positive outscores every negative (or none does): the
 * estimate is then 0, which on a small set would print a certainty the data do not give.
 */
export function delongAucInterval(positive: ArrayLike<boolean>, score: ArrayLike<number>, z = Z95): Interval | null {
  checkScores(positive, score);
  const pos: number[] = [], neg: number[] = [];
  for (let i = 0; i < score.length; i++) (positive[i] ? pos : neg).push(score[i] as number);
  const m = pos.length, n = neg.length;
  if (m < 2 || n < 2) return null;
  const all = midranks([...pos, ...neg]), own = [...midranks(pos), ...midranks(neg)];
  // A positive's rank among all less its rank among positives counts the negatives below it.
  const v10 = pos.map((_, i) => (all[i]! - own[i]!) / n);
  const v01 = neg.map((_, j) => 1 - (all[m + j]! - own[m + j]!) / m);
  const auc = v10.reduce((s, v) => s + v, 0) / m;
  const se = Math.sqrt(sampleVariance(v10) / m + sampleVariance(v01) / n);
  // Perfect separation (or its reverse) has no variance by this estimate, which is not a certainty.
  if (se === 0) return null;
  return [Math.max(0, auc - z * se), Math.min(1, auc + z * se)];
}

/** The q-quantile (0..1) of ascending `sorted` values, interpolated linearly (numpy.percentile's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1), lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export interface BootstrapOptions {
  resamples: number;
  /** Seed of the resampling, so that a figure repeats. */
  seed: number;
  /** Coverage (default 0.95). */
  level?: number;
}

/**
 * A percentile bootstrap interval of `statistic` (Efron and Tibshirani, 1993) that resamples whole
 * clusters with replacement: the images of one patient go in or out together, because a
 * patient's two eyes are graded alike far more often than two strangers' eyes, and resampling eyes
 * one by one would make the interval too narrow. `clusters` lists each cluster's image indices;
 * `statistic` gets the indices of one resample (a cluster drawn twice appears twice). Resamples
 * whose statistic is not finite are left out. Null with fewer than two clusters.
 */
export function clusterBootstrapInterval(clusters: readonly (readonly number[])[], statistic: (indices: number[]) => number, options: BootstrapOptions): Interval | null {
  const { resamples, level = 0.95 } = options;
  if (clusters.length < 2) return null;
  const rng = new Rng(options.seed);
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const indices: number[] = [];
    for (let c = 0; c < clusters.length; c++) indices.push(...clusters[rng.int(clusters.length)]!);
    const v = statistic(indices);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return [quantile(values, (1 - level) / 2), quantile(values, (1 + level) / 2)];
}

/** Each group's indices, in order of first appearance (a patient's images, from their patient ids). */
export function clustersOf(groups: readonly string[]): number[][] {
  const byGroup = new Map<string, number[]>();
  groups.forEach((g, i) => { const list = byGroup.get(g); if (list) list.push(i); else byGroup.set(g, [i]); });
  return [...byGroup.values()];
}

/**
 * Quadratic weighted kappa's 95 % interval by the bootstrap over patients (KAPPA_BOOTSTRAP):
 * `patients[i]` is image i's patient id. Null with fewer than two patients.
 */
export function kappaInterval(grades: readonly number[], predicted: readonly number[], patients: readonly string[], numClasses: number): Interval | null {
  return clusterBootstrapInterval(clustersOf(patients), (ix) => quadraticWeightedKappa(ix.map((i) => grades[i]!), ix.map((i) => predicted[i]!), { numClasses }), KAPPA_BOOTSTRAP);
}
