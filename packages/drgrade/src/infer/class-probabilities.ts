// Class probabilities of a batch, with or without test-time flips: the one path of evaluation
// (held-out folds, drgrade eval) and prediction (drgrade predict, gradcam, the page), and the one
// place that decides whether flips are used when the caller does not say: as the model's own
// configuration (`train.tta`) says, so a model is graded everywhere as its cross-validation was.
import { concat, tensor, type Tensor } from '@drgrade/tensor';
import type { DrgradeConfig } from '../config/index.ts';
import type { Grader } from '../train/ensemble.ts';

/** Whether a model of `config` is graded with test-time flips when the caller says `flips` (undefined: as its configuration says). */
export function usesFlips(config: DrgradeConfig, flips: boolean | undefined): boolean {
  return flips ?? config.train.tta;
}

/** How a grade's probabilities were averaged, for output ('probabilities averaged over 3 models and over flips'), or '' for one pass of one model. */
export function describeAveraging(members: number, flips: boolean): string {
  const over = [members > 1 ? `over ${members} models` : '', flips ? 'over flips' : ''].filter(Boolean).join(' and ');
  return over ? `probabilities averaged ${over}` : '';
}

/** Reverses `axis` of x (a gather with reversed indices). */
export function flip(x: Tensor, axis: number): Tensor {
  const d = x.shape[axis]!;
  return x.indexSelect(axis, tensor(Int32Array.from({ length: d }, (_, i) => d - 1 - i), [d]));
}

/**
 * Softmax of `logits` [N, C], the model's output for the normalised batch `x` [N, 3, H, W]
 * (evaluation needs the logits for its loss, so they are passed in, not recomputed). With
 * `flips`, the softmax averaged over x and its horizontal, vertical and double flips (undefined:
 * the model's `train.tta`). Each view is its own forward pass, so memory stays that of one batch.
 */
export function classProbabilities(model: Grader, x: Tensor, logits: Tensor, flips: boolean | undefined): Tensor {
  if (!usesFlips(model.config, flips)) return logits.softmax(1);
  const [n, C] = logits.shape as [number, number];
  const flipped = [flip(x, 3), flip(x, 2), flip(flip(x, 2), 3)].map((v) => model.forward(v).logits);
  return concat([logits, ...flipped].map((l) => l.softmax(1)), 0).reshape([4, n, C]).mean(0);
}

/** The grade a row of probabilities predicts: the most probable (the lowest grade on a tie). */
export function predictedGrade(probabilities: readonly number[]): number {
  return probabilities.indexOf(Math.max(...probabilities));
}
