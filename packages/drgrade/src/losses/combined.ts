// The paper's objective: L = α·L_metric + β·L_focal (α = β = 0.5), focal on SORD soft labels.
import type { Tensor } from '@drgrade/tensor';
import { focalLoss } from './focal.ts';
import { sordLabels, type SordOptions } from './sord.ts';
import { softTripleLoss, type SoftTripleOptions } from './softtriple.ts';

export interface CombinedLossOptions {
  /** α, weight of the metric (SoftTriple) term; 0 turns it off. */
  metricWeight?: number;
  /** β, weight of the focal term. */
  focalWeight?: number;
  gamma?: number;
  classWeights?: readonly number[];
  /** Ordinal soft labels for the focal term (SORD); false uses one-hot targets. */
  sord?: false | SordOptions;
  softTriple?: SoftTripleOptions;
}

export interface CombinedLossParts {
  total: Tensor;
  focal: Tensor;
  metric: Tensor | null;
}

export function combinedLoss(logits: Tensor, embeddings: Tensor | null, centers: Tensor | null, grades: readonly number[],
  opts: CombinedLossOptions = {}): CombinedLossParts {
  const alpha = opts.metricWeight ?? 0.5, beta = opts.focalWeight ?? 0.5;
  const targets = opts.sord === false ? grades : sordLabels(grades, { numClasses: logits.shape[1], ...(opts.sord ?? {}) });
  const focal = focalLoss(logits, targets, { gamma: opts.gamma ?? 2, ...(opts.classWeights ? { classWeights: opts.classWeights } : {}) });
  if (alpha === 0 || !embeddings || !centers) return { total: focal.mul(beta), focal, metric: null };
  const metric = softTripleLoss(embeddings, centers, grades, opts.softTriple ?? {});
  return { total: metric.mul(alpha).add(focal.mul(beta)), focal, metric };
}
