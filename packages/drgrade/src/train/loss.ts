// The configured objective for one batch: metric.weight·SoftTriple + classificationWeight·(CE or focal),
// on SORD soft labels when enabled, with the metric term held back during its warm-up epochs. A
// network with several classifiers (DFL, PMG, AG_Net) contributes each one's weighted loss.
import type { Tensor } from '@drgrade/tensor';
import type { DrgradeConfig } from '../config/index.ts';
import { crossEntropy, focalLoss, softTripleLoss, sordLabels } from '../losses/index.ts';
import type { GradingModel, ModelOutput } from './model.ts';

export interface LossParts {
  total: Tensor;
  classification: Tensor;
  metric: Tensor | null;
}

/** The configured classification loss (CE or focal, on SORD labels when enabled) of one classifier's scores. */
export function classificationLoss(logits: Tensor, grades: readonly number[], cfg: DrgradeConfig): Tensor {
  const l = cfg.loss;
  const targets = l.sord.enabled ? sordLabels(grades, { numClasses: cfg.model.numClasses, phi: l.sord.phi, scale: l.sord.scale }) : grades;
  return l.classification === 'ce'
    ? crossEntropy(logits, targets)
    : focalLoss(logits, targets, { gamma: l.gamma, ...(l.classWeights ? { classWeights: l.classWeights } : {}) });
}

export function batchLoss(model: GradingModel, out: ModelOutput, grades: readonly number[], cfg: DrgradeConfig, epoch: number): LossParts {
  const l = cfg.loss;
  const classification = out.terms
    .map((t) => classificationLoss(t.logits, grades, cfg).mul(t.weight))
    .reduce((sum, term) => sum.add(term));
  const useMetric = l.metric.weight > 0 && epoch >= l.metric.warmupEpochs && out.embedding && model.centers;
  if (!useMetric) return { total: classification.mul(l.classificationWeight), classification, metric: null };
  const m = l.metric;
  const metric = softTripleLoss(out.embedding!, model.centers!, grades, { la: m.la, gamma: m.gamma, tau: m.tau, margin: m.margin, K: m.K });
  return { total: metric.mul(m.weight).add(classification.mul(l.classificationWeight)), classification, metric };
}
