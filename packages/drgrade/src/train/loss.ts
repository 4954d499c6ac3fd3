// The configured objective for one batch: metric.weight·SoftTriple + classificationWeight·(CE or focal),
// on SORD soft labels when enabled, with the metric term held back during its warm-up epochs.
import type { Tensor } from '@drgrade/tensor';
import type { DrgradeConfig } from '../config/index.ts';
import { crossEntropy, focalLoss, softTripleLoss, sordLabels } from '../losses/index.ts';
import type { GradingModel, ModelOutput } from './model.ts';

export interface LossParts {
  total: Tensor;
  classification: Tensor;
  metric: Tensor | null;
}

export function batchLoss(model: GradingModel, out: ModelOutput, grades: readonly number[], cfg: DrgradeConfig, epoch: number): LossParts {
  const l = cfg.loss;
  const targets = l.sord.enabled ? sordLabels(grades, { numClasses: cfg.model.numClasses, phi: l.sord.phi, scale: l.sord.scale }) : grades;
  const classification = l.classification === 'ce'
    ? crossEntropy(out.logits, targets)
    : focalLoss(out.logits, targets, { gamma: l.gamma, ...(l.classWeights ? { classWeights: l.classWeights } : {}) });
  const useMetric = l.metric.weight > 0 && epoch >= l.metric.warmupEpochs && out.embedding && model.centers;
  if (!useMetric) return { total: classification.mul(l.classificationWeight), classification, metric: null };
  const m = l.metric;
  const metric = softTripleLoss(out.embedding!, model.centers!, grades, { la: m.la, gamma: m.gamma, tau: m.tau, margin: m.margin, K: m.K });
  return { total: metric.mul(m.weight).add(classification.mul(l.classificationWeight)), classification, metric };
}
